/** Sum of the squares of the `count` integers from `start`. */
export declare function sumSquares(start: number, count: number): number;
/** The same job for pools that pass one argument (piscina, tinypool). */
export default function sumSquaresTask(task: { start: number; count: number }): number;
