// 中文 first, English a click away; the choice is remembered in this browser (it is no secret).
import { createI18n } from 'vue-i18n'
import zhCN from './locales/zh-CN'
import en from './locales/en'

export type Locale = 'zh-CN' | 'en'
const KEY = 'kangyun.locale'

export const i18n = createI18n({
  legacy: false,
  locale: (localStorage.getItem(KEY) as Locale | null) ?? 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale
}

// Dates as people in China read them (2026年7月1日, in Asia/Shanghai), or in English.
export function formatDate(value: string | undefined, withTime = false): string {
  if (!value) return ''
  const date = new Date(value.length === 10 ? `${value}T00:00:00+08:00` : value)
  if (Number.isNaN(date.getTime())) return value
  return new Intl.DateTimeFormat(i18n.global.locale.value, {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
  }).format(date)
}
