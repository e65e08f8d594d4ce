import { describe, expect, it } from "vitest";
import { applyAutoassemblyBlock, BLOCK_BEGIN, BLOCK_END, detectMdadmConf, DISABLED_PREFIX } from "./mdadm-conf.js";

const UUID = "d00d77c9982f6ed5e944a1535db97044";
// The line the install guide's `mdadm --examine --scan > /etc/mdadm.conf` produced (seed/install-guide.txt).
const GUIDE = "ARRAY /dev/md/0 metadata=1.2 UUID=d00d77c9:982f6ed5:e944a153:5db97044 name=pmsapp1.pmsapp.org:0\n";
const DEV = "/dev/disk/by-path/pci-0000:00:03.0";

describe("applyAutoassemblyBlock", () => {
  it("comments out the guide's ARRAY line for the managed UUID and appends the explained <ignore> block", () => {
    const e = applyAutoassemblyBlock(GUIDE, UUID, DEV, "ignore-uuid");
    expect(e.changed).toBe(true);
    expect(e.disabled).toEqual([GUIDE.trim()]);
    const lines = e.text.split("\n");
    expect(lines[0]).toBe(DISABLED_PREFIX + GUIDE.trim());
    expect(lines).toContain("ARRAY <ignore> UUID=d00d77c9:982f6ed5:e944a153:5db97044");
    expect(e.text).toMatch(/# Why: this node exports \/dev\/disk\/by-path\/pci-0000:00:03.0 over iSCSI/);
    expect(lines.indexOf(BLOCK_BEGIN)).toBeLessThan(lines.indexOf(BLOCK_END));
  });

  it("is idempotent: applying it to its own output changes nothing", () => {
    const once = applyAutoassemblyBlock(GUIDE, UUID, DEV, "ignore-uuid");
    const twice = applyAutoassemblyBlock(once.text, UUID, DEV, "ignore-uuid");
    expect(twice).toEqual({ text: once.text, changed: false, disabled: [] });
  });

  it("leaves other arrays, continuation lines of other entries and comments alone", () => {
    const other = "# local root\nARRAY /dev/md0 metadata=1.2\n   UUID=1e618de3:71fb3487:b1b62896:ad659dc6 name=host:0\nMAILADDR root\n";
    const e = applyAutoassemblyBlock(other + GUIDE, UUID, DEV, "ignore-uuid");
    expect(e.text.startsWith(other)).toBe(true);
  });

  it("disables a multi-line entry of the managed array as a whole", () => {
    const multi = "ARRAY /dev/md/0 metadata=1.2\n    UUID=d00d77c9:982f6ed5:e944a153:5db97044\nMAILADDR root\n";
    const e = applyAutoassemblyBlock(multi, UUID, DEV, "ignore-uuid");
    expect(e.disabled).toHaveLength(2);
    expect(e.text.startsWith(`${DISABLED_PREFIX}ARRAY /dev/md/0 metadata=1.2\n${DISABLED_PREFIX}    UUID=`)).toBe(true);
  });

  it("auto-all writes AUTO -all instead, and switching modes rewrites the block in place", () => {
    const a = applyAutoassemblyBlock(GUIDE, UUID, DEV, "auto-all");
    expect(a.text).toContain("\nAUTO -all\n");
    expect(a.text).not.toContain("ARRAY <ignore>");
    const b = applyAutoassemblyBlock(a.text, UUID, DEV, "ignore-uuid");
    expect(b.text).not.toContain("AUTO -all");
    expect(b.text.split(BLOCK_BEGIN)).toHaveLength(2);
  });

  it("an empty or missing file gets just the block", () => {
    const e = applyAutoassemblyBlock("", UUID, DEV, "ignore-uuid");
    expect(e.text.startsWith(BLOCK_BEGIN)).toBe(true);
  });
});

describe("detectMdadmConf", () => {
  it("Debian path first, EL path second, creates under /etc/mdadm when that folder exists", () => {
    expect(detectMdadmConf((p) => p === "/etc/mdadm/mdadm.conf")).toBe("/etc/mdadm/mdadm.conf");
    expect(detectMdadmConf((p) => p === "/etc/mdadm.conf")).toBe("/etc/mdadm.conf");
    expect(detectMdadmConf((p) => p === "/etc/mdadm")).toBe("/etc/mdadm/mdadm.conf");
    expect(detectMdadmConf(() => false)).toBe("/etc/mdadm.conf");
  });
});
