import { describe, expect, it } from "vitest";
import type { Writable } from "node:stream";
import * as wsModule from "ws";
import { textFrame } from "./ws-server.js";

// ws exports its frame parser at run time; @types/ws does not declare it.
const Receiver = (wsModule as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable }).Receiver;

/** Parse bytes with ws's own client-side frame parser: what every client does with our frames. */
function parse(bytes: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    const r = new Receiver({ isServer: false, maxPayload: 1 << 20 });
    r.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) reject(new Error("binary frame"));
      out.push(data.toString("utf8"));
    });
    r.on("error", reject);
    r.write(bytes, () => resolve(out));
  });
}

describe("textFrame", () => {
  it("frames of every length class parse as text messages, several frames in one buffer in order", async () => {
    const payloads = ["", "x".repeat(125), "y".repeat(126), "z".repeat(65_535), "é".repeat(40_000)].map((t) => Buffer.from(t, "utf8"));
    const wire = Buffer.concat(payloads.map(textFrame).flat());
    const got = await parse(wire);
    expect(got.map((t) => Buffer.byteLength(t))).toEqual(payloads.map((p) => p.length));
    expect(got[4]).toBe("é".repeat(40_000));
  });
});
