// The floor's worker: a bare worker_threads message loop, no pool library.
import { parentPort } from "node:worker_threads";
import { sumSquares } from "./sumsq.js";

parentPort.on("message", ({ id, start, count }) => {
  parentPort.postMessage({ id, value: sumSquares(start, count) });
});
