// html-to-pdfmake ships no types: the one call used (src/services/pdf.ts)
declare module 'html-to-pdfmake' {
  import type { Content } from 'pdfmake/interfaces.js';
  export default function htmlToPdfmake(html: string, options: { window: unknown; imagesByReference?: false; removeExtraBlanks?: boolean }): Content;
}
