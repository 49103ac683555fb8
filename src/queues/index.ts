/** Queues: Queue (FIFO), PriorityQueue, LifoQueue. */
export { LifoQueue } from "./lifoQueue.js";
export { PriorityQueue } from "./priorityQueue.js";
export { Queue, type QueueStatistics } from "./queue.js";
