import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "../model/capture-state.js";
import { EventHub } from "../server/hub.js";
import { COLOURS, PLAIN, choosePaint, formatFrame } from "./format.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));

describe("event lines", () => {
  it("colours only on a terminal without NO_COLOR or TERM=dumb, and never when told not to", () => {
    expect(choosePaint(true, {}, undefined)).toBe(COLOURS);
    expect(choosePaint(false, {}, undefined)).toBe(PLAIN);
    expect(choosePaint(true, { NO_COLOR: "1" }, undefined)).toBe(PLAIN);
    expect(choosePaint(true, { TERM: "dumb" }, undefined)).toBe(PLAIN);
    expect(choosePaint(true, {}, false)).toBe(PLAIN);
  });

  it("a change line shows old -> new for each changed attribute; critical is red on a terminal", () => {
    const hub = new EventHub("node1", 100, () => new Date("2026-11-24T12:00:01.250Z"), "e");
    hub.setState(spike("raid1-healthy"));
    const member = hub.setState(spike("raid1-member-faulty")).find((e) => e.frame.kind === "member");
    expect(member).toBeDefined();
    const plain = formatFrame(member!.frame, PLAIN, 6);
    expect(plain).toBe("node1  12:00:01.250 change  member    md127/sdb  slot 1 -> none, flags in_sync -> faulty, condition in_sync -> faulty");
    expect(formatFrame(member!.frame, COLOURS, 6)).toBe(`\x1b[31m${plain}\x1b[0m`);
  });
});
