import type { RelationMessage, TypeMessage } from "./pgoutput-messages.js";

/**
 * The latest Relation (and Type) message per OID. pgoutput sends a Relation message before the
 * first change to a table in a session and again whenever its shape changes, and row messages
 * refer to it by OID only; keep one cache per replication connection (a new connection resends
 * them all). Changes read from a streamed transaction may use a Relation message that arrived
 * inside that stream; if the stream is aborted the newer shape is still the right one to keep.
 */
export class RelationCache {
  private readonly relations = new Map<number, RelationMessage>();
  private readonly types = new Map<number, TypeMessage>();

  /** Stores a Relation message; returns the one it replaces, if any (to detect shape changes). */
  setRelation(relation: RelationMessage): RelationMessage | undefined {
    const previous = this.relations.get(relation.relationOid);
    this.relations.set(relation.relationOid, relation);
    return previous;
  }

  getRelation(relationOid: number): RelationMessage | undefined {
    return this.relations.get(relationOid);
  }

  setType(type: TypeMessage): void {
    this.types.set(type.typeOid, type);
  }

  getType(typeOid: number): TypeMessage | undefined {
    return this.types.get(typeOid);
  }

  get relationCount(): number {
    return this.relations.size;
  }

  clear(): void {
    this.relations.clear();
    this.types.clear();
  }
}
