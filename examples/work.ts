// CPU-heavy functions for the executors example, run in worker threads or processes through
// fromModule(). Python's ints never overflow; JavaScript numbers lose exactness past 2^53, and a
// sum of squares of a million numbers is far past it, so these add BigInts.

/** The article's `cpu_intensive_task`: `sum(x ** 2 for x in data)`. */
export function sumOfSquares(data: readonly number[]): bigint {
  let total = 0n;
  for (const x of data) {
    const big = BigInt(x);
    total += big * big;
  }
  return total;
}

/** The same over `start <= x < end`, without building the list. */
export function sumOfSquaresRange(start: number, end: number): bigint {
  let total = 0n;
  for (let x = start; x < end; x++) {
    const big = BigInt(x);
    total += big * big;
  }
  return total;
}
