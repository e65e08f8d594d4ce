// Types for pages.mjs (plain JS so the RPM's %install can run it without a build step).
export interface ManPagePart {
  readonly part: string;
  readonly heading: string;
  readonly writtenBy: string;
}
export interface ManPage {
  readonly name: string;
  readonly section: number;
  readonly summary: string;
  readonly parts: readonly ManPagePart[];
}
export const MAN_PAGES: readonly ManPage[];
export const MAN_ALIASES: readonly { readonly name: string; readonly section: number; readonly sameAs: string }[];
export function readmePart(readme: string, part: string): string | undefined;
export interface RenderedPage {
  readonly file: string;
  readonly section: number;
  readonly text: string;
}
export function renderManPages(
  readme: string,
  version: string,
): { ok: true; pages: RenderedPage[] } | { ok: false; errors: string[] };
