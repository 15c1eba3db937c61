// A chart's life on a screen: ECharts loaded with the first chart, drawn with the options the
// screen makes (again when the language changes, for its labels), resized with the window and
// disposed with the screen.
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import { i18n } from './i18n'

interface Chart {
  setOption: (o: unknown) => void
  dispose: () => void
  resize: () => void
}

export function useChart(element: Ref<HTMLDivElement | undefined>, options: () => object | null) {
  let chart: Chart | null = null
  async function draw() {
    const o = options()
    if (!element.value || !o) return
    const echarts = await import('./views/echarts')
    chart ??= echarts.init(element.value)
    // Drawn at once: nothing moves for those who read it, or for a screenshot.
    chart.setOption({ aria: { enabled: true }, animation: false, ...o })
  }
  const resize = () => chart?.resize()
  onMounted(() => window.addEventListener('resize', resize))
  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    chart?.dispose()
  })
  watch(i18n.global.locale, () => void draw())
  return { draw }
}
