export { defaultExecutor, runInExecutor, toThread } from "./default.js";
export { WorkerDiedError } from "./errors.js";
export { Executor, type ExecutorOptions, type MapOptions, type ShutdownOptions, type Work } from "./pool.js";
export { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from "./processPool.js";
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "./threadPool.js";
export { transfer } from "./transfer.js";
export { fromModule, ModuleFunction } from "./work.js";
