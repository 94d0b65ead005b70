/// Facts about this build of DesignGym.
public enum DesignGym {
    /// The software version, stored with every experiment.
    public static let version = "0.1.0"
}
