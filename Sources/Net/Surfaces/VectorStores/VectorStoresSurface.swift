/// Vector stores over REST: seed 004's MAIA surface under `/v1` and the OpenAI-compatible
/// one under `/openai/v1`, over the same tables.
public enum VectorStoresSurface {
    public static var routes: [RouteDeclaration] { MAIARoutes.all }
}
