/**
 * HTML → PDF for issued documents, in-process: html-to-pdfmake turns the template's HTML (parsed by linkedom,
 * a small server-side DOM) into a pdfmake document, and pdfmake (on pdfkit/fontkit) lays it out with an
 * embedded Korean font.
 *
 * Why not headless Chromium / WeasyPrint: a fresh `npm ci` must render Korean without any system package
 * (no apt fonts, no browser download), and a PDF must take well under a second. The font is Noto Sans KR
 * (SIL Open Font License 1.1, all 11,172 modern Hangul syllables) from the npm package
 * @expo-google-fonts/noto-sans-kr; pdfkit embeds only the glyphs a document uses (a subset), so a
 * certificate is ~40 KB and the 6 MB font file is read once per process.
 *
 * Supported template HTML is what html-to-pdfmake supports: block and inline elements (div, p, h1–h6, b,
 * strong, i, span, br, hr, ul/ol, table — rows inside an explicit <tbody>), inline `style` attributes (font-size, text-align, margin, color,
 * font-weight, line-height…) and `data-pdfmake` JSON on tables (widths, layout). No `<style>` sheets, no
 * scripts. Images must be data: URLs (the QR is `{{ qr_data_uri }}`): remote URLs are never fetched.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import './pdf-font-cache.js'; // before pdfmake: one parsed font per process
import htmlToPdfmake from 'html-to-pdfmake';
import { parseHTML } from 'linkedom';
import pdfmake from 'pdfmake';

const require = createRequire(import.meta.url);

const FONT_FILES = {
  normal: '@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans-kr/700Bold/NotoSansKR_700Bold.ttf',
} as const;

let ready = false;
function init(): void {
  if (ready) return;
  // into pdfmake's in-memory file system: each font file is read once per process
  // (@types/pdfmake does not declare the server build's `virtualfs`)
  const vfs = (pdfmake as unknown as { virtualfs: { writeFileSync(name: string, data: Buffer): void } }).virtualfs;
  vfs.writeFileSync('NotoSansKR-Regular.ttf', readFileSync(require.resolve(FONT_FILES.normal)));
  vfs.writeFileSync('NotoSansKR-Bold.ttf', readFileSync(require.resolve(FONT_FILES.bold)));
  pdfmake.addFonts({
    NotoSansKR: { normal: 'NotoSansKR-Regular.ttf', bold: 'NotoSansKR-Bold.ttf', italics: 'NotoSansKR-Regular.ttf', bolditalics: 'NotoSansKR-Bold.ttf' },
  });
  // never fetch a URL nor read a local file named in a template (images are data: URLs only)
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy(() => false);
  ready = true;
}

export interface PdfMeta {
  title: string;
  author?: string;
}

/** Images other than data: URLs are dropped before layout (templates are checked on save too). */
function dataImagesOnly(html: string): string {
  return html.replace(/<img\b[^>]*>/gi, (tag) => (/\bsrc\s*=\s*["']?data:image\/(png|jpe?g);base64,/i.test(tag) ? tag : ''));
}

/** Lay out an HTML fragment on A4 pages and return the PDF bytes. */
export async function renderHtmlToPdf(html: string, meta: PdfMeta): Promise<Buffer> {
  init();
  const { window } = parseHTML('<!doctype html><html><body></body></html>');
  // a whole document: linkedom puts a bare fragment outside <body>
  const content = htmlToPdfmake(`<!doctype html><html><body>${dataImagesOnly(html)}</body></html>`, { window, imagesByReference: false, removeExtraBlanks: true });
  const doc = pdfmake.createPdf({
    pageSize: 'A4',
    pageMargins: [56, 56, 56, 56],
    info: { title: meta.title, author: meta.author ?? '', creator: 'conference-shop', producer: 'pdfmake' },
    defaultStyle: { font: 'NotoSansKR', fontSize: 11 },
    content,
  });
  return (await doc.getBuffer()) as Buffer;
}
