import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, requireFile, RGMANAGER_REFERENCE, SHARED_ROOT } from "./paths.js";

describe("paths", () => {
  it("finds the repository and shared/ beside it", () => {
    expect(existsSync(join(REPO_ROOT, "package.json"))).toBe(true);
    expect(SHARED_ROOT).toBe(join(REPO_ROOT, "..", "shared"));
    expect(existsSync(join(RGMANAGER_REFERENCE, "resources.rng.head"))).toBe(true);
  });

  it("names a missing file and who produces it instead of skipping", () => {
    expect(() => requireFile("/nonexistent/raid.cjs", "run npm run build")).toThrow("missing /nonexistent/raid.cjs — run npm run build");
    expect(requireFile(join(REPO_ROOT, "package.json"), "x")).toBe(join(REPO_ROOT, "package.json"));
  });
});
