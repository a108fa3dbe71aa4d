import { z } from 'zod'

/** One widget on a dashboard grid: what to draw, from which catalog query, where. */
const widgetSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  type: z.enum(['candles', 'line', 'bar', 'area', 'table', 'number', 'pie', 'funnel', 'heatmap']),
  title: z.string().max(200).optional(),
  query: z.string().regex(/^[a-z][a-z0-9_]*$/),
  params: z.record(z.string().max(64), z.string().max(256)).default({}),
  x: z.number().int().min(0).max(48),
  y: z.number().int().min(0).max(1000),
  w: z.number().int().min(1).max(48),
  h: z.number().int().min(1).max(100),
})

const dashboardInput = z.object({
  name: z.string().trim().min(1).max(200),
  widgets: z.array(widgetSchema).max(50).default([]),
})

/** PUT may carry the version it was loaded at: a stale one is refused (409). */
export const dashboardUpdate = dashboardInput.extend({ version: z.number().int().positive().optional() })

export type DashboardInput = z.infer<typeof dashboardInput>
export type Widget = z.infer<typeof widgetSchema>

export interface Dashboard extends DashboardInput {
  id: string
  version: number
  createdAt: string
  updatedAt: string
}
