/// The OpenAI-compatible vector-store surface under `/openai/v1`, what the official `openai`
/// SDKs call with `base_url=…/openai/v1`; it shares its tables with seed 004's `/v1`.
public enum OpenAISurface {
    public static var routes: [RouteDeclaration] { OpenAIFileRoutes.all + OpenAIVectorStoreRoutes.all + OpenAIStoreFileRoutes.all }
}
