// Wait nodes get their fields by assignment in the constructor, never from field initializers: on
// Node 20's V8 a base class's field initializer that has seen six object shapes (Parked and its
// subclasses) made every construction take a slow runtime path, 1.3 µs a wait instead of ~60 ns
// (bench/probes/megamorphic-init.ts; the comment on QueueNode). A field initializer defines its
// field directly on the object, an assignment goes through the prototype chain: a setter on a
// subclass's prototype tells which one the constructor used.
import { strict as assert } from "node:assert";
import { Parked } from "../src/sync/parked.js";
import { QueueNode } from "../src/sync/waiterQueue.js";
import { describe, it } from "./helpers.js";

/** The own fields a new instance of `Base` has, and which of them reached a setter (were assigned). */
function fieldsOf(Base: new (...args: never[]) => object, args: unknown[]): { fields: string[]; assigned: Set<string> } {
  const plain = Reflect.construct(Base, args) as object;
  const fields = Object.keys(plain);
  const assigned = new Set<string>();
  class Probe extends (Base as new (...args: unknown[]) => object) {}
  for (const name of fields) {
    Object.defineProperty(Probe.prototype, name, {
      configurable: true,
      set(this: object, value: unknown) {
        assigned.add(name);
        Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }
  Reflect.construct(Probe, args);
  return { fields, assigned };
}

describe("wait node fields", () => {
  for (const [name, Base, args] of [
    ["QueueNode", QueueNode, []],
    ["Parked", Parked, [{}, { op: "probe", consume: null }]],
  ] as const) {
    it(`${name} assigns every field in its constructor (no field initializer)`, () => {
      const { fields, assigned } = fieldsOf(Base, [...args]);
      assert.ok(fields.length >= 3, `${name} has fields: ${fields.join(", ")}`);
      assert.deepEqual(
        fields.filter((field) => !assigned.has(field)),
        [],
        `${name}'s fields defined by an initializer instead of assigned`,
      );
    });
  }
});
