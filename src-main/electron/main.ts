// Electron main process: the thinnest desktop shell around the renderer.
// Only files in src-main/electron may import `electron`; the numerical engine stays pure Node.
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron'
import type { IpcMainInvokeEvent, MenuItemConstructorOptions, WebContents } from 'electron'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { IPC, type AppInfo } from './api-types.ts'
import { contentSecurityPolicy } from './csp.ts'

const APP_NAME = 'Recon Studio'

// `electron-vite dev` serves the renderer and passes its URL; a built app loads files from out/.
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
const isDev = devServerUrl !== undefined
// out/main/index.js -> out/preload/index.cjs and out/renderer/index.html
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url))
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url))
const rendererDirUrl = new URL('../renderer/', import.meta.url).href
const csp = contentSecurityPolicy({ dev: isDev, header: true })

let mainWindow: BrowserWindow | null = null

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
    throw new Error(`IPC from an untrusted frame refused: ${frame?.url ?? '(gone)'}`)
  }
}

function appInfo(): AppInfo {
  return { name: APP_NAME, version: app.getVersion(), platform: process.platform, engine: 'node ' + process.versions.node }
}

function registerIpc(): void {
  ipcMain.handle(IPC.appInfo, (event, ...args: unknown[]): AppInfo => {
    assertTrustedSender(event)
    if (args.length !== 0) throw new Error(`${IPC.appInfo} takes no arguments`)
    return appInfo()
  })
}

/** Navigation and pop-up rules for every web contents the app ever creates. */
function harden(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    // Plain https links (documentation, issue tracker) open in the system browser; nothing opens in-app.
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
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

function buildMenu(): Menu {
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    // role 'quit' carries the platform's usual accelerator (Cmd+Q, Ctrl+Q on Linux).
    { label: '&File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
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
  win.once('ready-to-show', () => win.show())
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null
  })
  if (devServerUrl !== undefined) void win.loadURL(devServerUrl)
  else void win.loadURL(pathToFileURL(rendererIndex).href)
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.setName(APP_NAME)
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('web-contents-created', (_event, contents) => harden(contents))
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })

  void app.whenReady().then(() => {
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
    registerIpc()
    Menu.setApplicationMenu(buildMenu())
    createWindow()
  })
}
