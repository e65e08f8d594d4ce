/**
 * A small, strict XML reader for resource-agent meta-data (test tooling only; no npm XML dependency is
 * allowed). It reads what libxml2 reads for these documents: an optional XML declaration, comments,
 * processing instructions, a DOCTYPE (skipped, internal subset included), elements, attributes, text,
 * CDATA, the five predefined entities and character references. It throws XmlSyntaxError on anything
 * malformed instead of guessing, so a test cannot pass on a document libxml2 would refuse.
 *
 * Deliberately NOT supported (throws): entities declared in a DTD, namespaces beyond keeping the
 * qualified name as written.
 */

export interface XmlElement {
  readonly kind: "element";
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlNode[];
}

export interface XmlText {
  readonly kind: "text";
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at offset ${offset})`);
    this.name = "XmlSyntaxError";
  }
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

class Reader {
  pos = 0;
  constructor(readonly src: string) {}

  fail(message: string): never {
    throw new XmlSyntaxError(message, this.pos);
  }
  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }
  expect(s: string): void {
    if (!this.startsWith(s)) this.fail(`expected ${JSON.stringify(s)}`);
    this.pos += s.length;
  }
  skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.src.length && /[ \t\r\n]/.test(this.src[this.pos]!)) this.pos++;
    return this.pos > start;
  }
  readUntil(terminator: string, what: string): string {
    const end = this.src.indexOf(terminator, this.pos);
    if (end < 0) this.fail(`unterminated ${what}`);
    const text = this.src.slice(this.pos, end);
    this.pos = end + terminator.length;
    return text;
  }
  readName(): string {
    const start = this.pos;
    if (!NAME_START.test(this.src[this.pos] ?? "")) this.fail("expected a name");
    this.pos++;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }
}

function decodeEntities(raw: string, at: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, body: string) => {
    if (!match.endsWith(";")) throw new XmlSyntaxError("'&' not followed by an entity reference", at);
    if (body.startsWith("#x")) {
      const cp = Number.parseInt(body.slice(2), 16);
      if (!/^[0-9a-fA-F]+$/.test(body.slice(2)) || !Number.isFinite(cp)) throw new XmlSyntaxError(`bad character reference &${body};`, at);
      return String.fromCodePoint(cp);
    }
    if (body.startsWith("#")) {
      if (!/^[0-9]+$/.test(body.slice(1))) throw new XmlSyntaxError(`bad character reference &${body};`, at);
      return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    }
    const value = PREDEFINED[body];
    if (value === undefined) throw new XmlSyntaxError(`undeclared entity &${body};`, at);
    return value;
  });
}

function skipMisc(r: Reader): void {
  for (;;) {
    r.skipSpace();
    if (r.startsWith("<!--")) {
      r.pos += 4;
      const body = r.readUntil("-->", "comment");
      if (body.includes("--")) r.fail("'--' inside a comment");
    } else if (r.startsWith("<?")) {
      r.pos += 2;
      const target = r.readName();
      if (target.toLowerCase() === "xml") r.fail("XML declaration allowed only at the start of the document");
      r.readUntil("?>", "processing instruction");
    } else return;
  }
}

function skipDoctype(r: Reader): void {
  r.expect("<!DOCTYPE");
  let depth = 0;
  while (r.pos < r.src.length) {
    const c = r.src[r.pos]!;
    if (c === '"' || c === "'") {
      r.pos++;
      r.readUntil(c, "DOCTYPE literal");
      continue;
    }
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ">" && depth === 0) {
      r.pos++;
      return;
    }
    if (depth > 0 && r.startsWith("<!ENTITY")) r.fail("entity declarations are not supported");
    r.pos++;
  }
  r.fail("unterminated DOCTYPE");
}

function readAttributes(r: Reader): Map<string, string> {
  const attributes = new Map<string, string>();
  for (;;) {
    const hadSpace = r.skipSpace();
    if (r.startsWith("/>") || r.startsWith(">")) return attributes;
    if (!hadSpace) r.fail("attributes must be separated by white space");
    const at = r.pos;
    const name = r.readName();
    r.skipSpace();
    r.expect("=");
    r.skipSpace();
    const quote = r.src[r.pos];
    if (quote !== '"' && quote !== "'") r.fail(`attribute ${name}: value must be quoted`);
    r.pos++;
    const raw = r.readUntil(quote, `attribute ${name}`);
    if (raw.includes("<")) throw new XmlSyntaxError(`attribute ${name}: '<' not allowed in a value`, at);
    if (attributes.has(name)) throw new XmlSyntaxError(`attribute ${name} redefined`, at);
    // Attribute-value normalisation (XML 1.0 §3.3.3) for CDATA attributes: white space -> space.
    attributes.set(name, decodeEntities(raw.replace(/[\t\r\n]/g, " "), at));
  }
}

function readElement(r: Reader): XmlElement {
  r.expect("<");
  const name = r.readName();
  const attributes = readAttributes(r);
  const children: XmlNode[] = [];
  if (r.startsWith("/>")) {
    r.pos += 2;
    return { kind: "element", name, attributes, children };
  }
  r.expect(">");
  for (;;) {
    if (r.pos >= r.src.length) r.fail(`element <${name}> is not closed`);
    if (r.startsWith("</")) {
      r.pos += 2;
      const closing = r.readName();
      if (closing !== name) r.fail(`opening and ending tag mismatch: ${name} and ${closing}`);
      r.skipSpace();
      r.expect(">");
      return { kind: "element", name, attributes, children };
    }
    if (r.startsWith("<!--")) {
      r.pos += 4;
      const body = r.readUntil("-->", "comment");
      if (body.includes("--")) r.fail("'--' inside a comment");
    } else if (r.startsWith("<![CDATA[")) {
      r.pos += 9;
      children.push({ kind: "text", text: r.readUntil("]]>", "CDATA section") });
    } else if (r.startsWith("<?")) {
      r.pos += 2;
      r.readName();
      r.readUntil("?>", "processing instruction");
    } else if (r.startsWith("<")) {
      children.push(readElement(r));
    } else {
      const at = r.pos;
      const next = r.src.indexOf("<", r.pos);
      const raw = r.src.slice(r.pos, next < 0 ? r.src.length : next);
      r.pos += raw.length;
      children.push({ kind: "text", text: decodeEntities(raw.replace(/\r\n?/g, "\n"), at) });
    }
  }
}

/** Parses a whole document and returns its root element; throws XmlSyntaxError when malformed. */
export function parseXml(source: string): XmlElement {
  const r = new Reader(source);
  if (r.startsWith("\uFEFF")) r.pos++;
  if (r.startsWith("<?xml")) {
    const next = r.src[r.pos + 5];
    if (next === undefined || /[ \t\r\n?]/.test(next)) r.readUntil("?>", "XML declaration");
  }
  skipMisc(r);
  if (r.startsWith("<!DOCTYPE")) {
    skipDoctype(r);
    skipMisc(r);
  }
  if (!r.startsWith("<")) r.fail(r.pos >= r.src.length ? "document is empty" : "start tag expected");
  const root = readElement(r);
  skipMisc(r);
  if (r.pos < r.src.length) r.fail("extra content at the end of the document");
  return root;
}

/** Child elements, optionally only those with this name, in document order. */
export function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === "element" && (name === undefined || c.name === name));
}

/** The first child element with this name (XPath `name[1]`), if any. */
export function firstChild(el: XmlElement, name: string): XmlElement | undefined {
  return childElements(el, name)[0];
}

/** Follows a path of child names, taking the first match at each step (rgmanager's xpath_get_one). */
export function firstAt(el: XmlElement, ...path: string[]): XmlElement | undefined {
  let at: XmlElement | undefined = el;
  for (const step of path) at = at === undefined ? undefined : firstChild(at, step);
  return at;
}

/** XPath string-value of an element: all descendant text in document order. */
export function stringValue(node: XmlNode): string {
  return node.kind === "text" ? node.text : node.children.map(stringValue).join("");
}

/** XPath normalize-space(): trim, and collapse runs of white space to one space. */
export function normalizeSpace(s: string): string {
  return s.replace(/[ \t\r\n]+/g, " ").trim();
}
