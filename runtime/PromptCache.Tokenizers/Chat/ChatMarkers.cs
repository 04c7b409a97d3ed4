using System;
using System.Collections.Generic;

namespace PromptCache.Tokenizers.Chat
{
    /// <summary>
    /// The model's own role markers, so that PML's <c>&lt;system&gt;</c>, <c>&lt;user&gt;</c> and
    /// <c>&lt;assistant&gt;</c> become exactly the text the model was trained on. Special tokens
    /// are spelled out (e.g. <c>&lt;|im_start|&gt;</c>): the tokenizer matches them as added tokens.
    /// </summary>
    public sealed class ChatMarkers
    {
        /// <summary>Creates explicit markers (the override for formats the detector does not know).</summary>
        /// <param name="family">The family these markers follow, or null for a custom format.</param>
        /// <param name="beginText">Text once at the start of a conversation (e.g. <c>&lt;|begin_of_text|&gt;</c>), or empty.</param>
        /// <param name="system">Markers around a system message.</param>
        /// <param name="user">Markers around a user message.</param>
        /// <param name="assistant">Markers around an assistant message; its prefix is the generation prompt.</param>
        /// <param name="systemInsideFirstUserTurn">
        /// True when the format has no system turn of its own and the system text opens the first
        /// user turn (Llama 2, Mistral): then that user turn's prefix is left out after a system message.
        /// </param>
        public ChatMarkers(ChatTemplateFamily? family, string beginText, RoleMarkers system, RoleMarkers user, RoleMarkers assistant, bool systemInsideFirstUserTurn)
        {
            Family = family;
            BeginText = beginText ?? throw new ArgumentNullException(nameof(beginText));
            System = system ?? throw new ArgumentNullException(nameof(system));
            User = user ?? throw new ArgumentNullException(nameof(user));
            Assistant = assistant ?? throw new ArgumentNullException(nameof(assistant));
            SystemInsideFirstUserTurn = systemInsideFirstUserTurn;
        }

        /// <summary>The detected or chosen family, or null for custom markers.</summary>
        public ChatTemplateFamily? Family { get; }

        /// <summary>Text once at the start of a conversation, or empty.</summary>
        public string BeginText { get; }

        /// <summary>Markers around a system message.</summary>
        public RoleMarkers System { get; }

        /// <summary>Markers around a user message.</summary>
        public RoleMarkers User { get; }

        /// <summary>Markers around an assistant message.</summary>
        public RoleMarkers Assistant { get; }

        /// <summary>True when the system text opens the first user turn instead of having its own turn.</summary>
        public bool SystemInsideFirstUserTurn { get; }

        /// <summary>The text that asks the model to answer: the assistant prefix.</summary>
        public string GenerationPrompt => Assistant.Prefix;

        /// <summary>ChatML, as Qwen2/2.5/3 use it.</summary>
        public static ChatMarkers ChatML { get; } = new ChatMarkers(
            ChatTemplateFamily.ChatML,
            string.Empty,
            new RoleMarkers("<|im_start|>system\n", "<|im_end|>\n"),
            new RoleMarkers("<|im_start|>user\n", "<|im_end|>\n"),
            new RoleMarkers("<|im_start|>assistant\n", "<|im_end|>\n"),
            systemInsideFirstUserTurn: false);

        /// <summary>Llama 3 / 3.1 / 3.2 header tokens.</summary>
        public static ChatMarkers Llama3 { get; } = new ChatMarkers(
            ChatTemplateFamily.Llama3,
            "<|begin_of_text|>",
            new RoleMarkers("<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>"),
            new RoleMarkers("<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>"),
            new RoleMarkers("<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"),
            systemInsideFirstUserTurn: false);

        /// <summary>Llama 2 chat: each user turn opens with BOS and [INST]; the system block sits inside the first one.</summary>
        public static ChatMarkers Llama2 { get; } = new ChatMarkers(
            ChatTemplateFamily.Llama2,
            string.Empty,
            new RoleMarkers("<s>[INST] <<SYS>>\n", "\n<</SYS>>\n\n"),
            new RoleMarkers("<s>[INST] ", " [/INST]"),
            new RoleMarkers(" ", " </s>"),
            systemInsideFirstUserTurn: true);

        /// <summary>Mistral instruct (v0.1–v0.3 templates): BOS once, [INST] turns, system text prefixed to the first user turn.</summary>
        public static ChatMarkers Mistral { get; } = new ChatMarkers(
            ChatTemplateFamily.Mistral,
            "<s>",
            new RoleMarkers("[INST] ", "\n\n"),
            new RoleMarkers("[INST] ", " [/INST]"),
            new RoleMarkers(string.Empty, "</s>"),
            systemInsideFirstUserTurn: true);

        /// <summary>The markers of a family.</summary>
        public static ChatMarkers ForFamily(ChatTemplateFamily family)
        {
            switch (family)
            {
                case ChatTemplateFamily.ChatML: return ChatML;
                case ChatTemplateFamily.Llama3: return Llama3;
                case ChatTemplateFamily.Llama2: return Llama2;
                case ChatTemplateFamily.Mistral: return Mistral;
                default: throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown chat template family.");
            }
        }

        /// <summary>The markers of a family given by name (an explicit override: "chatml", "llama2", "llama3", "mistral"; case-insensitive).</summary>
        /// <exception cref="ArgumentException">The name is not a known family.</exception>
        public static ChatMarkers ForFamily(string name)
        {
            foreach (ChatTemplateFamily family in AllFamilies)
                if (string.Equals(family.ToString(), name?.Trim(), StringComparison.OrdinalIgnoreCase)) return ForFamily(family);
            throw new ArgumentException($"Unknown chat template family '{name}' (supported: {SupportedList}).", nameof(name));
        }

        /// <summary>Recognises the family of a Jinja chat template from its distinctive markers.</summary>
        /// <returns>False when the template is null or belongs to no known family.</returns>
        public static bool TryDetect(string? chatTemplate, out ChatMarkers? markers)
        {
            markers = null;
            if (string.IsNullOrEmpty(chatTemplate)) return false;
            string t = chatTemplate!;
            // Most specific first: ChatML and Llama 3 use dedicated special tokens; Llama 2 is the
            // [INST] format with a <<SYS>> block; plain [INST] is Mistral.
            if (t.Contains("<|im_start|>")) markers = ChatML;
            else if (t.Contains("<|start_header_id|>") && t.Contains("<|end_header_id|>")) markers = Llama3;
            else if (t.Contains("[INST]") && t.Contains("<<SYS>>")) markers = Llama2;
            else if (t.Contains("[INST]")) markers = Mistral;
            return markers != null;
        }

        /// <summary>Like <see cref="TryDetect"/>, but a missing or unknown template is an error.</summary>
        /// <exception cref="ChatTemplateNotRecognizedException">The template is missing or not recognised.</exception>
        public static ChatMarkers Detect(string? chatTemplate, string? source = null)
        {
            if (TryDetect(chatTemplate, out ChatMarkers? markers)) return markers!;
            string where = source == null ? string.Empty : $" of '{source}'";
            if (string.IsNullOrEmpty(chatTemplate))
                throw new ChatTemplateNotRecognizedException(
                    $"The tokenizer{where} has no chat template (tokenizer_config.json 'chat_template' or GGUF 'tokenizer.chat_template'). " +
                    $"Name the chat format explicitly (supported: {SupportedList}) or give explicit role markers.");
            string head = chatTemplate!.Length > 80 ? chatTemplate.Substring(0, 80) + "…" : chatTemplate;
            throw new ChatTemplateNotRecognizedException(
                $"The chat template{where} is not one of the known formats ({SupportedList}); role markers are never guessed. " +
                $"Name the format explicitly or give explicit role markers. Template starts: {head.Replace("\n", "\\n")}");
        }

        /// <summary>The markers for a tokenizer: the explicit family when given, otherwise detected from its chat template.</summary>
        /// <exception cref="ChatTemplateNotRecognizedException">No family was given and the template is missing or not recognised.</exception>
        public static ChatMarkers ForTokenizer(Tokenizer tokenizer, string? familyOverride = null)
        {
            if (tokenizer == null) throw new ArgumentNullException(nameof(tokenizer));
            if (!string.IsNullOrWhiteSpace(familyOverride)) return ForFamily(familyOverride!);
            return Detect(tokenizer.ChatTemplate, tokenizer.SourcePath);
        }

        private static IEnumerable<ChatTemplateFamily> AllFamilies => new[] { ChatTemplateFamily.Llama2, ChatTemplateFamily.Llama3, ChatTemplateFamily.ChatML, ChatTemplateFamily.Mistral };

        private static string SupportedList => "llama2, llama3, chatml, mistral";

        /// <summary>Renders one message with its role's markers (no BOS/begin text; no system-in-user merging).</summary>
        public string Wrap(string role, string content)
        {
            RoleMarkers markers = role switch
            {
                "system" => System,
                "user" => User,
                "assistant" => Assistant,
                _ => throw new ArgumentException($"Unknown chat role '{role}' (supported: system, user, assistant).", nameof(role)),
            };
            return markers.Prefix + content + markers.Suffix;
        }
    }
}
