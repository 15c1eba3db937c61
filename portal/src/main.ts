import { createApp } from 'vue'
import {
  ElAlert,
  ElButton,
  ElCard,
  ElConfigProvider,
  ElEmpty,
  ElInput,
  ElOption,
  ElRadioButton,
  ElRadioGroup,
  ElSelect,
  ElSkeleton,
  ElTabPane,
  ElTable,
  ElTableColumn,
  ElTabs,
  ElTag,
  ElTimeline,
  ElTimelineItem,
} from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'

const app = createApp(App)
// Only the widgets the screens use, so that the rest of Element Plus is not sent.
for (const c of [
  ElAlert, ElButton, ElCard, ElConfigProvider, ElEmpty, ElInput, ElOption, ElRadioButton, ElRadioGroup, ElSelect, ElSkeleton, ElTabPane, ElTable,
  ElTableColumn, ElTabs, ElTag, ElTimeline, ElTimelineItem,
])
  app.component(c.name!, c)
app.use(i18n).use(router).mount('#app')
