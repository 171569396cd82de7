/** Languages of translated fields (`<f>_ko` / `<f>_en`); Korean is the default and the fallback. */
export type Lang = 'ko' | 'en';

/** A translated field: the requested language, falling back to Korean when the translation is empty. */
export function tr(lang: Lang, ko: string, en: string | null | undefined): string;
export function tr(lang: Lang, ko: string | null, en: string | null | undefined): string | null;
export function tr(lang: Lang, ko: string | null, en: string | null | undefined): string | null {
  if (lang === 'en' && en) return en;
  return ko;
}
