extension Design {
    /// A design from `make`, drawn again (up to `attempts` times) while its hash is in `seen`; the result's
    /// hash is added to `seen`. Agents use it so the budget is not spent twice on one design.
    public static func unseen(_ seen: inout Set<String>, attempts: Int, _ make: () -> Design) -> Design {
        var design = make()
        var tries = 0
        while seen.contains(design.hash) && tries < attempts {
            design = make()
            tries += 1
        }
        seen.insert(design.hash)
        return design
    }
}
