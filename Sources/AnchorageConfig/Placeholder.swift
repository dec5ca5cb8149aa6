public enum AnchorageConfigPlaceholder {}
