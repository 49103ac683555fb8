// The executor benchmarks' job, as a plain ES module so every pool can load it without a TS loader.

/** Sum of the squares of the `count` integers from `start` (float arithmetic, as JS numbers go). */
export function sumSquares(start, count) {
  let sum = 0;
  const end = start + count;
  for (let x = start; x < end; x++) sum += x * x;
  return sum;
}

/** The same job for pools that pass one argument (piscina, tinypool). */
export default function sumSquaresTask({ start, count }) {
  return sumSquares(start, count);
}
