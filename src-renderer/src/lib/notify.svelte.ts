/**
 * The notification area's store: errors (failed API calls, failed methods), warnings and
 * information, shown as dismissible messages; errors stay until dismissed, the rest fade.
 */
import { errorMessage } from './api.ts'

export type Level = 'error' | 'warning' | 'info'

export interface Notice {
  id: number
  level: Level
  title: string
  detail?: string
}

let nextId = 1

class Notifications {
  items = $state<Notice[]>([])

  push(level: Level, title: string, detail?: string): number {
    const id = nextId++
    // The same message repeated (e.g. a preview failing on every keystroke) shows once.
    this.items = [...this.items.filter((n) => !(n.title === title && n.detail === detail)), { id, level, title, detail }]
    if (this.items.length > 6) this.items = this.items.slice(-6)
    if (level !== 'error') setTimeout(() => this.dismiss(id), level === 'warning' ? 10000 : 5000)
    return id
  }

  error(title: string, err?: unknown): number {
    return this.push('error', title, err === undefined ? undefined : errorMessage(err))
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id)
  }
}

export const notices = new Notifications()
