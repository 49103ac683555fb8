// The remote-executor benchmark's tiny job, as a plain ES module (no TS loader needed in worker threads).
export function add(a, b) {
  return a + b;
}
