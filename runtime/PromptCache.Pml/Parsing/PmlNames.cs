using System.Collections.Generic;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Parsing
{
    /// <summary>Element and attribute names PML defines, and the name rule.</summary>
    internal static class PmlNames
    {
        public const string Schema = "schema";
        public const string Module = "module";
        public const string Parameter = "parameter";
        public const string Union = "union";
        public const string Prompt = "prompt";

        /// <summary>Names whose tags must be well formed in a schema.</summary>
        public static readonly ISet<string> SchemaStrict = new HashSet<string> { Schema, Module, Parameter, Union, "system", "user", "assistant" };

        /// <summary>Names whose tags must be well formed in a prompt (module references are checked by the schema).</summary>
        public static readonly ISet<string> PromptStrict = new HashSet<string> { Prompt, "system", "user", "assistant" };

        public static bool TryRole(string name, out PmlRoleKind role)
        {
            switch (name)
            {
                case "system": role = PmlRoleKind.System; return true;
                case "user": role = PmlRoleKind.User; return true;
                case "assistant": role = PmlRoleKind.Assistant; return true;
                default: role = PmlRoleKind.System; return false;
            }
        }

        /// <summary>The reference's rule: <c>^[a-zA-Z_][a-zA-Z0-9_\-.]*$</c>.</summary>
        public static bool IsValidName(string name)
        {
            if (name.Length == 0)
                return false;
            char first = name[0];
            if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_'))
                return false;
            for (int i = 1; i < name.Length; i++)
            {
                char c = name[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
                if (!ok)
                    return false;
            }
            return true;
        }
    }
}
