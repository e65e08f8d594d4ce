import { describe, expect, it } from "vitest";
import { PARAMS, validateParams } from "./params.js";

const UUID = "1e618de3:71fb3487:b1b62896:ad659dc6";
const TARGETS = "iqn.2024-01.lab.pmslab:node1.data@10.99.0.11 iqn.2024-01.lab.pmslab:node2.data@10.99.0.12";

describe("validateParams", () => {
  it("applies the agent's own defaults (Pacemaker exports none)", () => {
    const r = validateParams({ uuid: UUID, targets: TARGETS }, "md-shared");
    expect(r.ok && r.params).toMatchObject({
      name: "md-shared",
      mdDevice: "/dev/md0",
      uuid: "1e618de371fb3487b1b62896ad659dc6",
      loginTimeoutS: 2,
      loginRetries: 1,
      replacementTimeoutS: 5,
      degraded: "safe",
      startTimeoutS: 60,
      stopTimeoutS: 30,
      statusTimeoutS: 20,
    });
    expect(r.ok && r.params.targets).toHaveLength(2);
  });

  it("accepts rgmanager's exported defaults and empty strings as unset", () => {
    const r = validateParams({ name: "raid", uuid: UUID, targets: TARGETS, login_timeout: "2", degraded: "", md_device: "/dev/md/lab" });
    expect(r.ok && r.params).toMatchObject({ degraded: "safe", mdDevice: "/dev/md/lab" });
  });

  it("reports every problem, each naming its parameter", () => {
    const r = validateParams({ uuid: "nope", targets: "x", degraded: "yolo", login_retries: "0", md_device: "/dev/md0; reboot", name: "a b" });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => e.param).sort()).toEqual(["degraded", "login_retries", "md_device", "name", "targets", "uuid"]);
  });

  it("every declared parameter is validated, and only those", () => {
    const r = validateParams({});
    expect(!r.ok && r.errors.map((e) => e.param).sort()).toEqual(["targets", "uuid"]);
    expect(PARAMS.filter((p) => p.required).map((p) => p.name)).toEqual(["uuid", "targets"]);
  });
});

describe("README raid-agent section", () => {
  it("documents every parameter with its default", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("<!-- section:raid-agent -->"), readme.indexOf("<!-- /section:raid-agent -->"));
    for (const p of PARAMS) {
      const row = section.split("\n").find((l) => l.startsWith("| ") && l.includes(`\`${p.name}\``));
      expect(row, p.name).toBeDefined();
      if (p.default !== undefined) expect(row, p.name).toContain(`\`${p.default}\``);
    }
  });
});
