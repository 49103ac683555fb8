// @ts-check
// Type-aware lint for a promise-heavy library: a floating or misused promise is always an error.
// An intentional fire-and-forget is written `void promise` with a comment saying why.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["dist/", "node_modules/", "build/", "coverage/", "scratch/"]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // Futures and Tasks are thenables, not Promises: a dropped createTask()/gather() is
          // the very mistake this library warns about, so thenables count too.
          checkThenables: true,
          // node:test's describe/it/test return a promise that the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["describe", "it", "test", "suite", "skip", "todo", "only"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      // Futures re-raise whatever the user's code threw (and `signal.reason`), typed unknown/any;
      // still an error for a literal non-Error such as `Promise.reject("oops")`.
      "@typescript-eslint/prefer-promise-reject-errors": [
        "error",
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // `while (true)` loops around a cancellable await are idiomatic here.
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },

  {
    // Tests poke at internals and at values typed `unknown`; keep the promise rules, relax the rest.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },

  {
    // Plain JS config files are not part of any tsconfig: lint them without type information.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
