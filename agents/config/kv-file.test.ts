import { describe, expect, it } from "vitest";
import { parseKvFile } from "./kv-file.js";

describe("parseKvFile", () => {
  it("reads keys, quoted values and comments", () => {
    const r = parseKvFile('# comment\nuuid = 1a2b\n\ntargets = "iqn.a@10.0.0.1 iqn.b@10.0.0.2"\n');
    expect(r).toEqual({ ok: true, values: { uuid: "1a2b", targets: "iqn.a@10.0.0.1 iqn.b@10.0.0.2" } });
  });

  it("reports every bad line with its number and never evaluates anything", () => {
    const r = parseKvFile("uuid=1\n$(reboot)\nname = \"open\nuuid = 2\n", "swraid.conf");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual([
        "swraid.conf:2: expected 'key = value', got '$(reboot)'",
        "swraid.conf:3: unterminated quoted value for 'name'",
        "swraid.conf:4: 'uuid' is set twice",
      ]);
    }
  });
});
