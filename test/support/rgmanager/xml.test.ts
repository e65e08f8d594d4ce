import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RGMANAGER_REFERENCE } from "./paths.js";
import { childElements, firstAt, normalizeSpace, parseXml, stringValue, XmlSyntaxError } from "./xml.js";
import { wellFormed } from "./xmllint.js";

const stockDir = join(RGMANAGER_REFERENCE, "agents-metadata");

describe("parseXml on the stock agents' real meta-data", () => {
  const files = readdirSync(stockDir).filter((f) => f.endsWith(".xml"));

  it("finds all seven stock agents", () => {
    expect(files.sort()).toEqual(["fs.xml", "ip.xml", "nfsclient.xml", "nfsexport.xml", "script.xml", "service.xml", "vm.xml"]);
  });

  it.each(files)("%s parses to a resource-agent with parameters and actions", (file) => {
    const root = parseXml(readFileSync(join(stockDir, file), "utf8"));
    expect(root.name).toBe("resource-agent");
    expect(root.attributes.get("name")).toBe(file.replace(/\.xml$/, ""));
    expect(childElements(firstAt(root, "parameters")!, "parameter").length).toBeGreaterThan(0);
    expect(childElements(firstAt(root, "actions")!, "action").map((a) => a.attributes.get("name"))).toContain("start");
  });

  it("gives XPath string values: script's shortdesc, normalised", () => {
    const root = parseXml(readFileSync(join(stockDir, "script.xml"), "utf8"));
    expect(normalizeSpace(stringValue(firstAt(root, "shortdesc")!))).toBe("LSB-compliant init script as a clustered resource.");
  });
});

describe("parseXml decodes what libxml2 decodes", () => {
  it("entities, character references, CDATA, comments, DOCTYPE with an internal subset", () => {
    const root = parseXml('<?xml version="1.0"?>\n<!DOCTYPE a [ <!ELEMENT a ANY> ]>\n<!-- c -->\n<a x="1 &amp; &#50;&#x33;\t4"><![CDATA[<raw>]]>&lt;b&gt;<?pi x?></a>\n');
    expect(root.attributes.get("x")).toBe("1 & 23 4");
    expect(stringValue(root)).toBe("<raw><b>");
  });
});

describe("parseXml refuses what libxml2 refuses", () => {
  // Each sample is also fed to xmllint so the parser's judgement is anchored to libxml2's.
  const malformed: Record<string, string> = {
    "text before the XML declaration (a heredoc's leading newline)": '\n<?xml version="1.0"?>\n<a/>',
    "empty output": "",
    "mismatched end tag": "<a><b></a></b>",
    "unclosed root": "<a>",
    "bare ampersand": "<a>fish & chips</a>",
    "undeclared entity": "<a>&nbsp;</a>",
    "duplicate attribute": '<a x="1" x="2"/>',
    "unquoted attribute": "<a x=1/>",
    "quote inside a quoted attribute": '<a x="say "hi""/>',
    "two root elements": "<a/><b/>",
    "less-than in an attribute": '<a x="<"/>',
  };
  it.each(Object.entries(malformed))("%s", (_what, text) => {
    expect(() => parseXml(text)).toThrow(XmlSyntaxError);
    expect(wellFormed(text).ok).toBe(false);
  });
});
