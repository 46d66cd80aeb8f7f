import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'
import { notices } from './lib/notify.svelte.ts'

const target = document.getElementById('app')
if (!target) throw new Error('#app element missing from index.html')

// Errors outside rendering (event handlers, promises nobody awaited) are not caught by the
// <svelte:boundary>; show them in the notification area instead of losing them in the console.
window.addEventListener('unhandledrejection', (e) => notices.error('Unexpected error', e.reason))
window.addEventListener('error', (e) => {
  if (e.error) notices.error('Unexpected error', e.error)
})

export default mount(App, { target })
