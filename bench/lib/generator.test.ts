import { describe, expect, it } from 'vitest'
import { bottleneck } from './generator.ts'

describe('bottleneck', () => {
  it('blames the generator when it used as much CPU as the server on a busy machine', () => {
    expect(bottleneck({ generatorCpuPct: 120, serverCpuPct: 70, cores: 2 })).toMatchObject({ bottleneck: 'generator', busyPct: 95 })
  })

  it('blames the server when the busy machine was mostly the server', () => {
    expect(bottleneck({ generatorCpuPct: 30, serverCpuPct: 160, cores: 2 })).toMatchObject({ bottleneck: 'server', busyPct: 95 })
  })

  it('blames nobody while cores were to spare, however the CPU was split', () => {
    expect(bottleneck({ generatorCpuPct: 100, serverCpuPct: 20, cores: 2 })).toMatchObject({ bottleneck: 'none', busyPct: 60 })
  })
})
