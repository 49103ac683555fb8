// A port of CPython's test_pep492.py LockTests: `async with primitive:` is
// `using _ = await primitive.acquire()` (or `await using`) for Lock, Condition, Semaphore and
// BoundedSemaphore. The rest of test_pep492 (coroutine objects, types.coroutine, origin tracking,
// a StreamReader readline) is Python-only or covered elsewhere.
import { strict as assert } from "node:assert";
import { describe, it, vrun } from "./helpers.js";
import { BoundedSemaphore, CancelledError, Condition, createTask, Lock, Semaphore, sleep } from "../src/index.js";

const primitives = [
  ["Lock", () => new Lock()],
  ["Condition", () => new Condition()],
  ["Semaphore", () => new Semaphore()],
  ["BoundedSemaphore", () => new BoundedSemaphore()],
] as const;

describe("async with (test_pep492)", () => {
  for (const [name, make] of primitives) {
    it(`${name} held inside a using block and released when it ends, however it ends (test_context_manager_async_with)`, () =>
      vrun(async () => {
        const primitive = make();
        await sleep(0.01);
        assert.equal(primitive.locked(), false);
        {
          using _ = await primitive.acquire();
          assert.equal(primitive.locked(), true);
          await sleep(0.01);
          assert.equal(primitive.locked(), true);
        }
        assert.equal(primitive.locked(), false);
        {
          // A user may write `await using` (it falls back to Symbol.dispose): it must release too.
          // eslint-disable-next-line @typescript-eslint/await-thenable
          await using _ = await primitive.acquire();
          assert.equal(primitive.locked(), true);
        }
        assert.equal(primitive.locked(), false);
        await assert.rejects(async () => {
          using _ = await primitive.acquire();
          throw new Error("boom");
        }, /boom/);
        assert.equal(primitive.locked(), false);
      }));

    it(`${name} using block of a task cancelled inside it releases, and the next waiter gets in`, () =>
      vrun(async () => {
        const primitive = make();
        const holder = createTask(async () => {
          using _ = await primitive.acquire();
          await sleep(10);
        });
        await sleep(0);
        const next = createTask(async () => {
          using _ = await primitive.acquire();
          return primitive.locked();
        });
        await sleep(0);
        holder.cancel();
        await assert.rejects(holder, CancelledError);
        assert.equal(await next, true);
        assert.equal(primitive.locked(), false);
      }));
  }
});
