/** Test helpers: `import { VirtualClock } from "asyncio-ts/testing"`. */
import "../kernel/polyfills.js";
export { VirtualClock, type VirtualClockOptions } from "./virtualClock.js";
