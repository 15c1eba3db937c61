import { createApp } from 'vue'
import {
  ElAlert,
  ElButton,
  ElCard,
  ElConfigProvider,
  ElDialog,
  ElEmpty,
  ElForm,
  ElFormItem,
  ElInput,
  ElLoading,
  ElOption,
  ElPagination,
  ElRadioButton,
  ElRadioGroup,
  ElSelect,
  ElSkeleton,
  ElSwitch,
  ElTabPane,
  ElTable,
  ElTableColumn,
  ElTabs,
  ElTag,
  ElTimeline,
  ElTimelineItem,
  ElTooltip,
} from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'

const app = createApp(App)
// Only the widgets the screens use, so that the rest of Element Plus is not sent.
for (const c of [
  ElAlert, ElButton, ElCard, ElConfigProvider, ElDialog, ElEmpty, ElForm, ElFormItem, ElInput, ElOption, ElPagination, ElRadioButton,
  ElRadioGroup, ElSelect, ElSkeleton, ElSwitch, ElTabPane, ElTable, ElTableColumn, ElTabs, ElTag, ElTimeline, ElTimelineItem, ElTooltip,
])
  app.component(c.name!, c)
app.use(ElLoading).use(i18n).use(router).mount('#app')
