// eslint for the page's scripts and styles (theme/*.js, theme/*.css): the
// recommended rules, as mdBook lints its own theme. Each script is a
// classic <script> that mdBook's page loads; theme/ace/ is Ace's own code,
// vendored.
"use strict";
const js = require("@eslint/js");
const css = require("@eslint/css").default;
const globals = require("globals");

module.exports = [
  { ignores: ["theme/ace/**"] },
  {
    files: ["**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: {
        ...globals.browser,
        // mdBook's: its Ace editor (book.toml: editable = true), its
        // search library, the page's way back to the book's root.
        ace: "readonly",
        elasticlunr: "readonly",
        path_to_root: "readonly",
        // theme/lang.js's translator of the UI strings (theme/strings.js).
        rspT: "readonly",
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["**/*.css"],
    plugins: { css },
    language: "css/css",
    ...css.configs.recommended,
    rules: {
      ...css.configs.recommended.rules,
      // The colours are mdBook's theme variables, defined in its own CSS.
      "css/no-invalid-properties": ["error", { allowUnknownVariables: true }],
    },
  },
];
