import VireoQuery
import VireoStorage

/// The engine tables behind vector stores, created on demand (at serve start, or at the
/// first request of a server that skipped it). Nothing about stores lives anywhere else.
///
/// - `vireo_files`: uploaded bytes, as OpenAI's /files keeps them (MAIA uploads land here too).
/// - `vireo_vector_stores`: one row a store; `seq` orders lists and is their cursor.
/// - `vireo_vector_store_files`: a file's membership in a store: status, chunk count,
///   attributes, chunking, error. File counts are counted from it, so they cannot drift.
/// - `vireo_vector_store_file_batches`: OpenAI's file batches; their counts come from the
///   files that carry the batch's id.
/// - `vireo_vector_store_chunks`: the searchable text with its embedding; the store id,
///   filename and the file's attributes are copied in, so that a search is one statement over
///   one table that the HNSW index (cosine) serves, filters and all. `content_tsv` (generated
///   from the content, gin-indexed) serves keyword ranking by BM25.
enum VectorStoreSchema {
    static let files = "vireo_files"
    static let stores = "vireo_vector_stores"
    static let storeFiles = "vireo_vector_store_files"
    static let chunks = "vireo_vector_store_chunks"
    static let batches = "vireo_vector_store_file_batches"
    static let embeddingIndex = "vireo_vector_store_chunks_embedding"
    static let textColumn = "content_tsv"
    static let textIndex = "vireo_vector_store_chunks_content_tsv"

    /// The statements that create what is missing, for vectors of `dimension`.
    static func statements(dimension: Int) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS \(files) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, filename text NOT NULL,
              purpose text NOT NULL, bytes bigint NOT NULL, content_type text, content bytea NOT NULL, created_at bigint NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(stores) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, name text, metadata jsonb,
              embedder text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, last_active_at bigint NOT NULL,
              expires_after jsonb, expires_at bigint)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(storeFiles) (seq bigserial PRIMARY KEY, store_id text NOT NULL, file_id text NOT NULL,
              batch_id text, status text NOT NULL, chunk_count bigint NOT NULL, attributes jsonb, error_code text, error text,
              chunk_size bigint NOT NULL, chunk_overlap bigint NOT NULL, created_at bigint NOT NULL, UNIQUE (store_id, file_id))
            """,
            "CREATE INDEX IF NOT EXISTS \(storeFiles)_store ON \(storeFiles) (store_id)",
            """
            CREATE TABLE IF NOT EXISTS \(batches) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, store_id text NOT NULL,
              cancelled boolean NOT NULL, created_at bigint NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(chunks) (id bigserial PRIMARY KEY, store_id text NOT NULL, file_id text NOT NULL,
              filename text NOT NULL, chunk_index bigint NOT NULL, content text NOT NULL, metadata jsonb, attributes jsonb,
              embedding vector(\(dimension)) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS \(chunks)_file ON \(chunks) (file_id)",
            "CREATE INDEX IF NOT EXISTS \(embeddingIndex) ON \(chunks) USING hnsw (embedding vector_cosine_ops)",
            // Keyword and hybrid search (BM25): added to stores made before they came, too.
            """
            ALTER TABLE \(chunks) ADD COLUMN IF NOT EXISTS \(textColumn) tsvector
              GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
            """,
            "CREATE INDEX IF NOT EXISTS \(textIndex) ON \(chunks) USING gin (\(textColumn))",
        ]
    }

    /// Creates the tables that are missing; refuses to mix vectors of another dimension
    /// with those already stored (they were made by another embedder).
    static func create(_ session: Session, dimension: Int, embedder: String) throws {
        if let existing = try? session.tableDefinition(chunks),
           let column = existing.columns.first(where: { $0.name == "embedding" }), column.type != .vector(dimension: dimension) {
            throw VireoError(.invalidParameter, "the vector stores hold \(column.type) embeddings, but the embedder \(embedder) makes "
                + "vector(\(dimension)); start the server with the embedder they were made with (--embedder)")
        }
        for statement in statements(dimension: dimension) { try session.execute(statement) }
    }
}
