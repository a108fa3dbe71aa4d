// kafkajs' own assigners hand out the partitions of the *leader's* topics to every member,
// whatever each member subscribed to: two Livehouse deployments sharing a broker and the group
// name with different KAFKA_TOPIC_PREFIXes (the test suite does exactly that) would starve each
// other. This one assigns each topic's partitions only to members subscribed to it, round robin.
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs'

export const subscriptionAwareAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'LivehouseSubscriptionRoundRobin',
  version: 0,
  async assign({ members }) {
    const subscribers = new Map<string, string[]>()
    for (const m of members) {
      for (const topic of AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? []) {
        subscribers.set(topic, [...(subscribers.get(topic) ?? []), m.memberId])
      }
    }
    // The leader knows the metadata of its own topics only.
    await cluster.addMultipleTargetTopics([...subscribers.keys()])
    const partitionsOf = (topic: string) => cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)
    const assignment = assignRoundRobin(subscribers, partitionsOf)
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment.get(memberId) ?? {}, userData: Buffer.alloc(0) }),
    }))
  },
  protocol({ topics }) {
    return { name: 'LivehouseSubscriptionRoundRobin', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }
  },
})

/** Every partition of every topic to one of that topic's subscribers, one rotation across all topics (so one-partition topics spread too). */
export function assignRoundRobin(subscribers: Map<string, string[]>, partitionsOf: (topic: string) => number[]): Map<string, Record<string, number[]>> {
  const assignment = new Map<string, Record<string, number[]>>()
  let turn = 0
  for (const topic of [...subscribers.keys()].sort()) {
    const members = [...new Set(subscribers.get(topic))].sort()
    for (const partition of [...partitionsOf(topic)].sort((a, b) => a - b)) {
      const member = members[turn++ % members.length]
      const topics = assignment.get(member) ?? {}
      ;(topics[topic] ??= []).push(partition)
      assignment.set(member, topics)
    }
  }
  return assignment
}
