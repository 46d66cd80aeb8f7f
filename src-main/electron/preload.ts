// Preload bridge. Runs sandboxed (built as CommonJS), so it may import only `electron`;
// everything else it needs is bundled in. It exposes a deliberately narrow API:
// never ipcRenderer itself, never a generic invoke(channel, ...).
import { contextBridge, ipcRenderer } from 'electron'
import { IPC, isAppInfo, type AppInfo, type ReconApi } from './api-types.ts'

const api: ReconApi = {
  async info(): Promise<AppInfo> {
    const value: unknown = await ipcRenderer.invoke(IPC.appInfo)
    if (!isAppInfo(value)) throw new Error('recon.info: unexpected reply from the main process')
    return value
  }
}

contextBridge.exposeInMainWorld('recon', api)
