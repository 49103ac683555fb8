// Node 20 has no Symbol.dispose / Symbol.asyncDispose; `using` and `await using` need them.
// They are defined once, with the well-known registry keys TypeScript's downlevel helpers look up.
const symbols = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };
if (typeof symbols.dispose !== "symbol") {
  Object.defineProperty(Symbol, "dispose", { value: Symbol.for("nodejs.dispose") });
}
if (typeof symbols.asyncDispose !== "symbol") {
  Object.defineProperty(Symbol, "asyncDispose", { value: Symbol.for("nodejs.asyncDispose") });
}
export {};
