// A task may throw any value, null and undefined included (JavaScript allows it; asyncio cannot
// raise a non-exception). Such a failure is still a failure: `exception()` returns the value, which
// for null cannot be told from a success, so the combinators must not read it that way.
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import { createTask, ExceptionGroup, FIRST_EXCEPTION, gather, run, shield, sleep, taskGroup, wait } from "../src/index.js";
import { captureExceptions, outcome, ticks, vrun } from "./helpers.js";

for (const value of [null, undefined, 0, ""]) {
  const thrower = async (): Promise<number> => {
    await sleep(0);
    throw value; // eslint-disable-line @typescript-eslint/only-throw-error -- the point of the test
  };
  const label = JSON.stringify(value) ?? "undefined";

  describe(`a task that throws ${label}`, () => {
    test("gather rejects with it", () =>
      vrun(async () => {
        assert.equal(await outcome(gather(thrower, () => sleep(1, 2))), `error ${String(value)}`);
      }));

    test("gather with returnExceptions gives it as the result", () =>
      vrun(async () => {
        const [r, ok] = await gather(thrower, () => sleep(1, 2), { returnExceptions: true });
        assert.equal(r, value);
        assert.equal(ok, 2);
      }));

    test("wait FIRST_EXCEPTION returns when it fails", () =>
      vrun(async () => {
        const [done, pending] = await wait([thrower, () => sleep(10, 0)], { returnWhen: FIRST_EXCEPTION });
        assert.equal(done.size, 1);
        assert.equal(pending.size, 1);
        for (const f of pending) f.cancel();
        for (const f of done) assert.equal(f.exception(), value);
      }));

    test("shield rejects with it", () =>
      vrun(async () => {
        assert.equal(await outcome(shield(thrower)), `error ${String(value)}`);
      }));

    test("run() reports it when a leftover task throws it while being cancelled", async () => {
      let seen: ReturnType<typeof captureExceptions> = [];
      await run(async () => {
        seen = captureExceptions();
        void createTask(async () => {
          try {
            await sleep(3600);
          } finally {
            // eslint-disable-next-line no-unsafe-finally, @typescript-eslint/only-throw-error -- the point of the test
            throw value;
          }
        });
        await ticks();
      });
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.exception, value);
      assert.match(seen[0]?.message ?? "", /shutdown/);
    });

    test("taskGroup collects it and cancels the siblings", () =>
      vrun(async () => {
        let siblingCancelled = false;
        try {
          await taskGroup((tg) => {
            void tg.createTask(thrower);
            void tg.createTask(async () => {
              try {
                await sleep(10);
              } finally {
                siblingCancelled = true;
              }
            });
          });
          assert.fail("the group should fail");
        } catch (eg) {
          assert.ok(eg instanceof ExceptionGroup);
          assert.deepEqual(eg.exceptions, [value]);
        }
        assert.equal(siblingCancelled, true);
      }));
  });
}
