// Electron main process: a thin desktop shell around the reconstruction services.
// Only files in src-main/electron may import `electron`; the services (WorkbenchService) are
// plain Node and the very object browser mode (src-main/web) and the tests drive.
//
// - One WorkbenchService (settings and recent files in userData); every API method of
//   src-main/api/contract.ts is one IPC channel, answered only for the app's own top-level
//   page, with the arguments checked (src-main/web/dispatch.ts → services/validate.ts) before
//   they reach the service. Replies are { ok, value } / { ok: false, error: {name, message,
//   code} } so the renderer sees the service's own message (preload.ts rethrows it).
// - Service events go to the window on EVENT_CHANNEL.
// - Menu: File → Open File… / Open Folder… / Open Recent / Quit, Edit, View, Help → About;
//   files from the OS (macOS open-file, a second instance's command line) open too, each
//   announced to the renderer as a 'scan-opened' event.
// - Hardening: sandbox, contextIsolation, no Node integration, CSP on every response,
//   navigation and pop-ups denied, permissions refused, single instance.
// - Quitting waits for the services to cancel their jobs and stop their workers.
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron'
import type { IpcMainInvokeEvent, MenuItemConstructorOptions, WebContents } from 'electron'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { API_METHODS, ApiError, EVENT_CHANNEL, ipcChannel, type AppInfo, type RunEvent, type ScanSummary } from '../api/contract.ts'
import { errorToWire } from '../api/wire.ts'
import { spawnReconWorker } from '../jobs/service.ts'
import { WorkbenchService } from '../services/workbench.ts'
import { callService } from '../web/dispatch.ts'
import { contentSecurityPolicy } from './csp.ts'

const APP_NAME = 'Recon Studio'

// `electron-vite dev` serves the renderer and passes its URL; a built app loads files from out/.
const devServerUrl = (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) || undefined
const isDev = devServerUrl !== undefined
// out/main/index.js -> out/preload/index.cjs, out/renderer/index.html and the bundled worker
// out/main/worker.js (electron.vite.config.ts builds it next to this file).
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url))
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url))
const rendererDirUrl = new URL('../renderer/', import.meta.url).href
const workerUrl = new URL('./worker.js', import.meta.url)
const csp = contentSecurityPolicy({ dev: isDev, header: true })

// Settings and recent files live in userData (set before anything reads it).
app.setName(APP_NAME)

let mainWindow: BrowserWindow | null = null
let services: WorkbenchService | null = null
/** Paths handed to the app (command line, macOS open-file) before the window could take them. */
const pendingPaths: string[] = []
let rendererReady = false

const log = (message: string): void => {
  process.stderr.write(`recon-studio: ${message}\n`)
}

/** True for URLs that belong to the app itself: the dev server's origin, or the built renderer files. */
function isAppUrl(raw: string): boolean {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  if (devServerUrl !== undefined) return url.origin === new URL(devServerUrl).origin
  return url.protocol === 'file:' && url.href.startsWith(rendererDirUrl)
}

/** IPC is answered only for the app's own top-level page, never for a foreign frame. */
function assertTrustedSender(event: IpcMainInvokeEvent): void {
  const frame = event.senderFrame
  if (!frame || frame.parent !== null || !isAppUrl(frame.url)) {
    throw new ApiError(`IPC from an untrusted frame refused: ${frame?.url ?? '(gone)'}`, 'forbidden')
  }
}

function appInfo(): AppInfo {
  return { name: APP_NAME, version: app.getVersion(), platform: process.platform, engine: 'node ' + process.versions.node, shell: 'desktop' }
}

function send(event: RunEvent): void {
  const contents = mainWindow?.webContents
  if (contents && !contents.isDestroyed()) contents.send(EVENT_CHANNEL, event)
}

function registerIpc(svc: WorkbenchService): void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event, ...args: unknown[]) => {
      try {
        assertTrustedSender(event)
        const value = await callService(svc, method, args, appInfo)
        // Recent files change when a path is opened: keep Open Recent in step.
        if (method === 'openPath') void refreshMenu()
        return { ok: true, value }
      } catch (err) {
        if (!(err instanceof ApiError)) log(`${method} failed: ${(err as Error)?.stack ?? String(err)}`)
        return { ok: false, error: errorToWire(err) }
      }
    })
  }
}

/** Open a path on behalf of the user (menu, recent files, OS) and tell the renderer. */
async function openAndAnnounce(path: string): Promise<void> {
  // Before the app is ready (macOS open-file at launch) or the renderer has loaded: keep it.
  if (!services || !rendererReady) {
    pendingPaths.push(path)
    return
  }
  let scan: ScanSummary
  try {
    scan = await services.openPath(path)
  } catch (err) {
    dialog.showErrorBox(`Could not open ${path}`, (err as Error)?.message ?? String(err))
    return
  } finally {
    void refreshMenu()
  }
  send({ type: 'scan-opened', scan })
  if (mainWindow) {
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  }
}

async function showOpenDialog(kind: 'file' | 'folder'): Promise<void> {
  const options: Electron.OpenDialogOptions = {
    title: kind === 'file' ? 'Open File' : 'Open Folder',
    properties: kind === 'file' ? ['openFile'] : ['openDirectory'],
    filters:
      kind === 'file'
        ? [
            { name: 'Scans and images', extensions: ['dcm', 'dicom', 'ima', 'nii', 'gz', 'h5', 'hdf5', 'npy', 'npz', 'cfl', 'hdr', 'png', 'jpg', 'jpeg', 'tif', 'tiff'] },
            { name: 'All files', extensions: ['*'] }
          ]
        : undefined
  }
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options)
  if (!result.canceled && result.filePaths[0]) await openAndAnnounce(result.filePaths[0])
}

/** Existing files and folders named on a command line (flags and the app's own path left out). */
function pathsFromArgv(argv: string[], cwd: string): string[] {
  // Packaged: [exe, ...files]; development: [electron, ...flags, app folder or main script, ...files].
  const own = new Set([resolve(app.getAppPath()), fileURLToPath(import.meta.url)])
  return argv
    .slice(1)
    .filter((a) => a && !a.startsWith('-'))
    .map((a) => resolve(cwd, a))
    .filter((p) => !own.has(p) && existsSync(p))
}

function showAbout(): void {
  const detail = [
    `Version ${app.getVersion()}`,
    `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
    'Undersampled MRI and image reconstruction workbench.'
  ].join('\n')
  const options = { type: 'info' as const, title: `About ${APP_NAME}`, message: APP_NAME, detail, buttons: ['OK'] }
  void (mainWindow ? dialog.showMessageBox(mainWindow, options) : dialog.showMessageBox(options))
}

function buildMenu(recent: string[]): Menu {
  const isMac = process.platform === 'darwin'
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? recent.map((p) => ({ label: p, click: () => void openAndAnnounce(p) }))
    : [{ label: 'No recent files', enabled: false }]
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open File…', accelerator: 'CmdOrCtrl+O', click: () => void showOpenDialog('file') },
        { label: 'Open Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void showOpenDialog('folder') },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        // role 'quit' carries the platform's usual accelerator (Cmd+Q, Ctrl+Q on Linux).
        isMac ? { role: 'close' } : { role: 'quit' }
      ]
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...(isDev
          ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[])
          : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' }
      ]
    },
    { role: 'help', submenu: [{ label: `About ${APP_NAME}`, click: showAbout }] }
  ]
  return Menu.buildFromTemplate(template)
}

async function refreshMenu(): Promise<void> {
  let recent: string[] = []
  try {
    recent = services ? await services.recentFiles() : []
  } catch {
    // shutting down
  }
  Menu.setApplicationMenu(buildMenu(recent))
}

/** Navigation and pop-up rules for every web contents the app ever creates. */
function harden(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    // Plain https links (documentation, issue tracker) open in the system browser; nothing opens in-app.
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  // (A file dropped on the window would navigate to it: refused here; the renderer handles drops.)
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 800,
    minHeight: 500,
    title: APP_NAME,
    show: false,
    backgroundColor: '#15171b',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  mainWindow = win
  rendererReady = false
  win.once('ready-to-show', () => win.show())
  // The renderer subscribes to events while it starts; paths queued before then open now.
  win.webContents.on('did-finish-load', () => {
    rendererReady = true
    for (const p of pendingPaths.splice(0)) void openAndAnnounce(p)
  })
  win.on('closed', () => {
    if (mainWindow === win) {
      mainWindow = null
      rendererReady = false
    }
  })
  if (devServerUrl !== undefined) void win.loadURL(devServerUrl)
  else void win.loadURL(pathToFileURL(rendererIndex).href)
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  // Files opened from the OS (macOS: Finder, dock) may arrive before the app is ready.
  app.on('open-file', (event, path) => {
    event.preventDefault()
    void openAndAnnounce(path)
  })
  app.on('second-instance', (_event, argv, workingDirectory) => {
    for (const p of pathsFromArgv(argv, workingDirectory)) void openAndAnnounce(p)
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('web-contents-created', (_event, contents) => harden(contents))
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) createWindow()
  })

  // Quit only after the services have cancelled their jobs and stopped their workers.
  let disposed = false
  let disposing = false
  app.on('before-quit', (event) => {
    if (disposed || !services) return
    event.preventDefault()
    if (disposing) return
    disposing = true
    const svc = services
    const timeout = new Promise<void>((r) => setTimeout(r, 10000).unref())
    void Promise.race([svc.dispose().catch((err: unknown) => log(`shutdown: ${(err as Error)?.message ?? String(err)}`)), timeout]).finally(() => {
      disposed = true
      app.quit()
    })
  })

  void app.whenReady().then(() => {
    services = new WorkbenchService({
      dataDir: app.getPath('userData'),
      // Models ship beside the app (electron-builder extraResources) in a packaged build.
      modelsDirs: app.isPackaged ? [join(process.resourcesPath, 'models')] : undefined,
      // The bundled worker (plain JS, no tsx) in development and packaged builds alike.
      spawn: () => spawnReconWorker(workerUrl),
      software: { name: APP_NAME, version: app.getVersion() },
      log
    })
    services.subscribe(send)
    // The renderer needs no camera, microphone, notifications or the like.
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
    // Applies to every http(s) response, i.e. the dev server; file:// pages get the same
    // policy from the <meta> tag in index.html.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      const headers = Object.fromEntries(
        Object.entries(details.responseHeaders ?? {}).filter(([k]) => k.toLowerCase() !== 'content-security-policy')
      )
      callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } })
    })
    registerIpc(services)
    Menu.setApplicationMenu(buildMenu([]))
    void refreshMenu()
    for (const p of pathsFromArgv(process.argv, process.cwd())) pendingPaths.push(p)
    createWindow()
  })
}
