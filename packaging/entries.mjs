// The bundles pmsapp ships: one CommonJS file per entry point, written to dist/ and installed to
// /usr/lib/pmsapp/ (see packaging/stage.mjs). Light entries must stay on Node built-ins (the status path);
// heavy code lives in its own bundle, loaded with require() only by the actions that need it.
export const ENTRIES = [
  { out: "raid.cjs", src: "agents/raid/main.ts", light: true, what: "raid agent: dispatch, meta-data, status depth 0" },
  { out: "raid-heavy.cjs", src: "agents/raid/heavy.ts", light: false, what: "raid agent: start, stop, validate-all, deep status" },
  { out: "target.cjs", src: "agents/target/main.ts", light: false, what: "target keeper (pmsapp-target service)" },
  { out: "pmsappd.cjs", src: "daemon/pmsappd/main.ts", light: false, what: "node daemon" },
  { out: "pmsapp.cjs", src: "daemon/cli/main.ts", light: false, what: "operator CLI" },
];
