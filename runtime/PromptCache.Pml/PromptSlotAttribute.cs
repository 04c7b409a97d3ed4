using System;

namespace PromptCache.Pml
{
    /// <summary>
    /// Marks a generated method's argument that fills a parameter slot, with the slot's length in tokens.
    /// Emitted when the project names its tokenizer, so the call-site analyzer can report a constant
    /// argument longer than its slot (PCG0036) while the code is written.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
    public sealed class PromptSlotAttribute : Attribute
    {
        /// <summary>Creates the marker.</summary>
        /// <param name="parameterName">The PML parameter's name.</param>
        /// <param name="modulePath">The module's path ('/'-separated).</param>
        /// <param name="length">The slot's length in tokens.</param>
        public PromptSlotAttribute(string parameterName, string modulePath, int length)
        {
            ParameterName = parameterName;
            ModulePath = modulePath;
            Length = length;
        }

        /// <summary>The PML parameter's name.</summary>
        public string ParameterName { get; }

        /// <summary>The module's path ('/'-separated).</summary>
        public string ModulePath { get; }

        /// <summary>The slot's length in tokens.</summary>
        public int Length { get; }
    }
}
