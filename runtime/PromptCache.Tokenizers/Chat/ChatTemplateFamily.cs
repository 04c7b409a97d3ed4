namespace PromptCache.Tokenizers.Chat
{
    /// <summary>The chat formats whose role markers this library knows.</summary>
    public enum ChatTemplateFamily
    {
        /// <summary>Llama 2 chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;…&lt;&lt;/SYS&gt;&gt; … [/INST] … &lt;/s&gt;</c>.</summary>
        Llama2,

        /// <summary>Llama 3: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n…&lt;|eot_id|&gt;</c>.</summary>
        Llama3,

        /// <summary>ChatML (Qwen): <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>.</summary>
        ChatML,

        /// <summary>Mistral instruct: <c>&lt;s&gt;[INST] … [/INST]…&lt;/s&gt;</c>, a system prompt prefixed to the first user turn.</summary>
        Mistral,
    }
}
