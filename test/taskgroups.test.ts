// Port of CPython's Lib/test/test_asyncio/test_taskgroups.py (3.11–3.14, including the cancel-count
// fixes of gh-116720 and gh-128550) onto taskGroup(async (tg) => ...).
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  Future,
  sleep,
  taskGroup,
  type Task,
  type TaskGroup,
} from "../src/index.js";
import { errorTypes, MyExc, now, ticks, vrun, ZeroDivisionError } from "./helpers.js";

const boom = (): never => {
  throw new ZeroDivisionError();
};

async function caught(p: Promise<unknown> | Task<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return assert.fail("expected a rejection");
}

describe("taskGroup", () => {
  test("taskGroup waits for every child (taskgroup_01)", () =>
    vrun(async () => {
      let t1: Task<number> | undefined;
      let t2: Task<number> | undefined;
      await taskGroup((g) => {
        t1 = g.createTask(() => sleep(0.1, 42));
        t2 = g.createTask(() => sleep(0.2, 11));
      });
      assert.equal(t1?.result(), 42);
      assert.equal(t2?.result(), 11);
    }));

  test("taskGroup children can be started while the body waits (taskgroup_02)", () =>
    vrun(async () => {
      const [t1, t2] = await taskGroup(async (g) => {
        const t1 = g.createTask(() => sleep(0.1, 42));
        await sleep(0.15);
        const t2 = g.createTask(() => sleep(0.2, 11));
        return [t1, t2] as const;
      });
      assert.equal(t1.result(), 42);
      assert.equal(t2.result(), 11);
    }));

  test("taskGroup: a child cancelled explicitly does not disturb the group (taskgroup_03)", () =>
    vrun(async () => {
      const [t1, t2] = await taskGroup(async (g) => {
        const t1 = g.createTask(() => sleep(1, 42));
        await sleep(0.15);
        t1.cancel();
        const t2 = g.createTask(() => sleep(0.2, 11));
        return [t1, t2] as const;
      });
      assert.equal(t1.cancelled(), true);
      assert.equal(t2.result(), 11);
    }));

  test("taskGroup: a failing child cancels its siblings; ExceptionGroup of the failure (taskgroup_04)", () =>
    vrun(async () => {
      let num = 0;
      let t2Cancel = false;
      let t2: Task<void> | undefined;
      const runner = async (): Promise<void> => {
        await taskGroup((g) => {
          void g.createTask(async () => {
            await sleep(0.1);
            boom();
          });
          t2 = g.createTask(async () => {
            try {
              await sleep(1);
            } catch (e) {
              t2Cancel = true;
              throw e;
            }
            num += 1;
          });
        });
        num += 10;
      };
      const err = await caught(createTask(runner));
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
      assert.equal(num, 0);
      assert.equal(t2Cancel, true);
      assert.equal(t2?.cancelled(), true);
    }));

  test("taskGroup: a failing child cancels the body and the others (cancel_children_on_child_error)", () =>
    vrun(async () => {
      let num = 0;
      let t2Cancel = false;
      let runnerCancel = false;
      const foo1 = async (): Promise<void> => {
        await sleep(0.1);
        boom();
      };
      const runner = async (): Promise<void> => {
        await taskGroup(async (g) => {
          void g.createTask(foo1);
          void g.createTask(foo1);
          void g.createTask(foo1);
          void g.createTask(async () => {
            try {
              await sleep(5);
            } catch (e) {
              t2Cancel = true;
              throw e;
            }
            num += 1;
          });
          try {
            await sleep(10);
          } catch (e) {
            runnerCancel = true;
            throw e;
          }
        });
        num += 10;
      };
      const err = await caught(createTask(runner));
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
      assert.equal(num, 0);
      assert.equal(t2Cancel, true);
      assert.equal(runnerCancel, true);
    }));

  test("taskGroup: cancelling the enclosing task cancels every child (cancellation)", () =>
    vrun(async () => {
      let num = 0;
      const foo = async (): Promise<void> => {
        try {
          await sleep(5);
        } catch (e) {
          num += 1;
          throw e;
        }
      };
      const r = createTask(() =>
        taskGroup((g) => {
          for (let i = 0; i < 5; i++) void g.createTask(foo);
        }),
      );
      await sleep(0.1);
      assert.equal(r.done(), false);
      r.cancel();
      assert.ok((await caught(r)) instanceof CancelledError);
      assert.equal(num, 5);
    }));

  test("taskGroup: cancelling the enclosing task cancels the body too (taskgroup_07)", () =>
    vrun(async () => {
      let num = 0;
      const foo = async (): Promise<void> => {
        try {
          await sleep(5);
        } catch (e) {
          num += 1;
          throw e;
        }
      };
      const r = createTask(() =>
        taskGroup(async (g) => {
          for (let i = 0; i < 5; i++) void g.createTask(foo);
          try {
            await sleep(10);
          } catch (e) {
            num += 10;
            throw e;
          }
        }),
      );
      await sleep(0.1);
      r.cancel();
      assert.ok((await caught(r)) instanceof CancelledError);
      assert.equal(num, 15);
    }));

  test("taskGroup: children failing while cancelled give an ExceptionGroup (taskgroup_08)", () =>
    vrun(async () => {
      const foo = async (): Promise<void> => {
        try {
          await sleep(10);
        } finally {
          boom();
        }
      };
      const r = createTask(() =>
        taskGroup(async (g) => {
          for (let i = 0; i < 5; i++) void g.createTask(foo);
          await sleep(10);
        }),
      );
      await sleep(0.1);
      r.cancel();
      const err = await caught(r);
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
    }));

  for (const [name, pause] of [
    ["taskgroup_09", true],
    ["taskgroup_10", false],
  ] as const) {
    test(`taskGroup: the body failing cancels the children (${name})`, () =>
      vrun(async () => {
        let t1: Task<number> | undefined;
        let t2: Task<number> | undefined;
        const err = await caught(
          taskGroup(async (g) => {
            t1 = g.createTask(() => sleep(1, 42));
            t2 = g.createTask(() => sleep(2, 11));
            if (pause) await sleep(0.1);
            boom();
          }),
        );
        assert.ok(err instanceof ExceptionGroup);
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(t1?.cancelled(), true);
        assert.equal(t2?.cancelled(), true);
      }));
  }

  for (const [name, withSibling] of [
    ["taskgroup_11", false],
    ["taskgroup_12", true],
  ] as const) {
    test(`taskGroup nested: inner failures while cancelled nest in the outer group (${name})`, () =>
      vrun(async () => {
        const foo = async (): Promise<void> => {
          try {
            await sleep(10);
          } finally {
            boom();
          }
        };
        const r = createTask(() =>
          taskGroup(async (g1) => {
            if (withSibling) void g1.createTask(() => sleep(10));
            await taskGroup(async (g2) => {
              for (let i = 0; i < 5; i++) void g2.createTask(foo);
              await sleep(10);
            });
          }),
        );
        await sleep(0.1);
        r.cancel();
        const err = await caught(r);
        assert.ok(err instanceof ExceptionGroup);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(err.exceptions[0]), new Set(["ZeroDivisionError"]));
      }));
  }

  test("taskGroup nested: an outer child failing first cancels the inner group (taskgroup_13)", () =>
    vrun(async () => {
      const crashAfter = async (t: number): Promise<void> => {
        await sleep(t);
        throw new RangeError(String(t));
      };
      const err = await caught(
        createTask(() =>
          taskGroup(async (g1) => {
            void g1.createTask(() => crashAfter(0.1));
            await taskGroup((g2) => {
              void g2.createTask(() => crashAfter(10));
            });
          }),
        ),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["RangeError"]));
    }));

  test("taskGroup nested: an inner child failing first nests its group (taskgroup_14)", () =>
    vrun(async () => {
      const crashAfter = async (t: number): Promise<void> => {
        await sleep(t);
        throw new RangeError(String(t));
      };
      const err = await caught(
        createTask(() =>
          taskGroup(async (g1) => {
            void g1.createTask(() => crashAfter(10));
            await taskGroup((g2) => {
              void g2.createTask(() => crashAfter(0.1));
            });
          }),
        ),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
      assert.deepEqual(errorTypes(err.exceptions[0]), new Set(["RangeError"]));
    }));

  test("taskGroup: a child failing while the cancelled body still cleans up (taskgroup_15/16)", () =>
    vrun(async () => {
      const crashSoon = async (): Promise<void> => {
        await sleep(0.3);
        boom();
      };
      const nestedRunner = (): Promise<void> =>
        taskGroup(async (g1) => {
          void g1.createTask(crashSoon);
          try {
            await sleep(10);
          } catch (e) {
            await sleep(0.5);
            throw e;
          }
        });
      for (const viaTask of [false, true]) {
        const r = createTask(async () => {
          if (viaTask) await createTask(nestedRunner);
          else await nestedRunner();
        });
        await sleep(0.1);
        r.cancel();
        const err = await caught(r);
        assert.ok(err instanceof ExceptionGroup);
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
      }
    }));

  test("taskGroup without children: cancelling the task cancels the body (taskgroup_17)", () =>
    vrun(async () => {
      let num = 0;
      const r = createTask(() =>
        taskGroup(async () => {
          try {
            await sleep(10);
          } catch (e) {
            num += 10;
            throw e;
          }
        }),
      );
      await sleep(0.1);
      r.cancel();
      assert.ok((await caught(r)) instanceof CancelledError);
      assert.equal(num, 10);
    }));

  test("taskGroup: a body that turns its cancellation into another error raises it in a group (taskgroup_18)", () =>
    vrun(async () => {
      let num = 0;
      const r = createTask(() =>
        taskGroup(async () => {
          try {
            await sleep(10);
          } catch (e) {
            if (!(e instanceof CancelledError)) throw e;
            num += 10;
            throw new MyExc();
          }
        }),
      );
      await sleep(0.1);
      r.cancel();
      const err = await caught(r);
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
      assert.equal(num, 10);
    }));

  test("taskGroup: failures of the body and of a child are both collected (taskgroup_19)", () =>
    vrun(async () => {
      const err = await caught(
        createTask(() =>
          taskGroup(async (g) => {
            void g.createTask(async () => {
              await sleep(0.1);
              boom();
            });
            try {
              await sleep(10);
            } finally {
              // eslint-disable-next-line no-unsafe-finally
              throw new MyExc();
            }
          }),
        ),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["MyExc", "ZeroDivisionError"]));
    }));

  test("taskGroup: cancelling the task while children sleep gives CancelledError (taskgroup_22)", () =>
    vrun(async () => {
      const r = createTask(() =>
        taskGroup((g) => {
          void g.createTask(() => sleep(1));
          void g.createTask(() => sleep(2));
        }),
      );
      await sleep(0.05);
      r.cancel();
      assert.ok((await caught(r)) instanceof CancelledError);
    }));

  test("taskGroup forgets finished children (taskgroup_23)", () =>
    vrun(async () => {
      await taskGroup(async (g) => {
        for (let count = 0; count < 10; count++) {
          await sleep(0.1);
          void g.createTask(() => sleep(0.3));
          if (count === 5) assert.ok(g.size < 5);
        }
        await sleep(1.35);
        assert.equal(g.size, 0);
      });
    }));

  test("taskGroup: children may start more children (taskgroup_24)", () =>
    vrun(async () => {
      const coro1 = (delay: number) => () => sleep(delay);
      await taskGroup((g) => {
        void g.createTask(async () => {
          await sleep(0.1);
          void g.createTask(coro1(0.1));
          void g.createTask(coro1(0.2));
        });
      });
      assert.equal(now(), 0.3, "the group waited for the children its children started");
    }));

  test("taskGroup: a failure stops a group whose children keep multiplying (taskgroup_25)", () =>
    vrun(async () => {
      let nhydras = 0;
      const hydra = async (g: TaskGroup): Promise<void> => {
        nhydras++;
        await sleep(0.01);
        void g.createTask(() => hydra(g));
        void g.createTask(() => hydra(g));
      };
      const err = await caught(
        taskGroup((g) => {
          void g.createTask(() => hydra(g));
          void g.createTask(async () => {
            while (nhydras < 10) await sleep(0.015);
            boom();
          });
        }),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
      assert.ok(nhydras >= 10);
    }));

  test("taskGroup createTask names the task (taskgroup_task_name, test_name)", () =>
    vrun(async () => {
      let seen: string | undefined;
      await taskGroup((g) => {
        const t = g.createTask(
          async () => {
            seen = currentTask()?.name;
            await sleep(0);
          },
          { name: "yolo" },
        );
        assert.equal(t.name, "yolo");
      });
      assert.equal(seen, "yolo");
    }));

  test("taskGroup createTask throws once the group is shutting down after a failure", () =>
    vrun(async () => {
      let refused: unknown = null;
      const err = await caught(
        taskGroup((g) => {
          void g.createTask(async () => {
            await sleep(0.001);
            boom();
          });
          void g.createTask(async () => {
            try {
              await sleep(1);
            } catch (e) {
              try {
                void g.createTask(() => sleep(0));
              } catch (e2) {
                refused = e2;
              }
              throw e;
            }
          });
        }),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
      assert.ok(refused instanceof Error);
    }));

  test("taskGroup: errors of the body's finally and of a child are both kept, cancel count restored (gh-95289)", () =>
    vrun(async () => {
      class CustomException extends Error {
        override name = "CustomException";
      }
      const main = async (): Promise<void> => {
        const task = currentTask();
        const err = await caught(
          taskGroup(async (tg) => {
            try {
              void tg.createTask(() => Promise.reject(new CustomException()));
              await sleep(1);
            } finally {
              // eslint-disable-next-line no-unsafe-finally
              throw new CustomException();
            }
          }),
        );
        assert.ok(err instanceof ExceptionGroup);
        assert.equal(err.exceptions.length, 2);
        assert.equal(task?.cancelling(), 0);
      };
      await createTask(main);
    }));

  test("taskGroup createTask after the group finished throws", () =>
    vrun(async () => {
      let group: TaskGroup | undefined;
      await taskGroup((tg) => {
        group = tg;
      });
      let ran = false;
      assert.throws(
        () =>
          group?.createTask(() => {
            ran = true;
            return sleep(0);
          }),
        /finished/,
      );
      await ticks();
      assert.equal(ran, false);
    }));

  test("taskGroup works outside any task", async () => {
    const res = await taskGroup(async (tg) => {
      const t = tg.createTask(() => sleep(0, 5));
      return t;
    });
    assert.equal(res, 5, "a returned task resolves to its result, like any thenable");
  });

  test("taskGroup leaves the task's cancel count at 0 after a failure (cancelling_level_preserved)", () =>
    vrun(async () => {
      const err = await caught(
        taskGroup((tg) => {
          void tg.createTask(async () => {
            await sleep(0);
            throw new RangeError();
          });
        }),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.equal(currentTask()?.cancelling(), 0);
      await sleep(0); // the cancellation does not leak out of the group
    }));

  test("taskGroup nested groups both cancelled keep exact cancel counts (gh-116720)", () =>
    vrun(async () => {
      const raiseAfter = (t: number, E: new () => Error) => async (): Promise<void> => {
        await sleep(t);
        throw new E();
      };
      const err = await caught(
        taskGroup(async (outerTg) => {
          const inner = await caught(
            taskGroup((innerTg) => {
              void innerTg.createTask(raiseAfter(0, RangeError));
              void outerTg.createTask(raiseAfter(0, TypeError));
            }),
          );
          assert.ok(inner instanceof ExceptionGroup);
          assert.deepEqual(errorTypes(inner), new Set(["RangeError"]));
          assert.equal(currentTask()?.cancelling(), 1);
        }),
      );
      assert.ok(err instanceof ExceptionGroup);
      assert.deepEqual(errorTypes(err), new Set(["TypeError"]));
      assert.equal(currentTask()?.cancelling(), 0);
    }));

  test("taskGroup: after a group failure the task's cancel count is back to 0 and a later cancel() works (error_and_cancel)", () =>
    vrun(async () => {
      const event = new Future();
      let afterGroup = false;
      const inner = async (): Promise<void> => {
        const err = await caught(
          taskGroup(async (tg) => {
            void tg.createTask(async () => {
              event.setResult(null);
              await sleep(0);
              throw new RangeError();
            });
            await sleep(1);
            assert.fail("sleep in group should have been cancelled");
          }),
        );
        assert.ok(err instanceof ExceptionGroup);
        afterGroup = true;
        await sleep(1);
        assert.fail("sleep after group should have been cancelled");
      };
      const t = createTask(inner);
      await event;
      // asyncio wakes the cancelled task through the loop, after the child has raised; here a
      // cancel() reaches the awaiting code within the same turn, so let the child fail first.
      await ticks(2);
      assert.equal(t.cancelling(), 0);
      t.cancel();
      assert.equal(t.cancelling(), 1);
      assert.ok((await caught(t)) instanceof CancelledError);
      assert.equal(t.cancelled(), true);
      assert.equal(afterGroup, true);
    }));

  test("taskGroup cancels a child created while another child fails (gh-128550)", () =>
    vrun(async () => {
      let ran = false;
      const err = await caught(
        taskGroup((tg) => {
          void tg.createTask(async () => {
            void tg.createTask(() => Promise.reject(new MyExc("third task failed")));
            await assert.rejects(async () => {
              await sleep(0);
              await sleep(0);
            }, CancelledError);
            ran = true;
          });
        }),
      );
      assert.equal(ran, true);
      assert.ok(err instanceof ExceptionGroup);
      assert.ok(err.exceptions[0] instanceof MyExc);
    }));

  test("taskGroup rejects a body that is not a function", () =>
    vrun(async () => {
      assert.throws(() => taskGroup(42 as never), TypeError);
      const p = Promise.resolve();
      assert.throws(() => taskGroup(p as never), { name: "TypeError", message: /not a promise/ });
      await p;
      await taskGroup((tg) => {
        assert.throws(() => tg.createTask(42 as never), TypeError);
      });
    }));
});

describe("ExceptionGroup arguments", () => {
  test("ExceptionGroup refuses a message that is not a string and exceptions that are not a non-empty iterable", () => {
    assert.throws(() => new ExceptionGroup(5 as never, [new Error("x")]), { name: "TypeError", message: /message string: received 5/ });
    assert.throws(() => new ExceptionGroup("m", "xy" as never), { name: "TypeError", message: /iterable\) of errors: received "xy"/ });
    assert.throws(() => new ExceptionGroup("m", null as never), { name: "TypeError", message: /received null/ });
    assert.throws(() => new ExceptionGroup("m", []), { name: "RangeError", message: /at least one error/ });
    const eg = new ExceptionGroup("m", new Set([new Error("a"), null]));
    assert.equal(eg.exceptions.length, 2, "any thrown value may be in a group, as a task may throw any value");
    assert.ok(eg instanceof AggregateError);
  });
});
