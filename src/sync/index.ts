/** Synchronization primitives: Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier. */
export { Barrier, type BarrierState, type BarrierStatistics } from "./barrier.js";
export { Condition, type ConditionStatistics } from "./condition.js";
export { Event, type EventStatistics } from "./event.js";
export { Guard } from "./guard.js";
export { Lock, type LockStatistics } from "./lock.js";
export { BoundedSemaphore, Semaphore, type SemaphoreStatistics } from "./semaphore.js";
