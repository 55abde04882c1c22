package io.kvevents.sdk;

/**
 * How much of a prompt one pod holds: the longest run of the prompt's full blocks, from block 0,
 * that it holds on any tier ({@code matchedBlocks}) and on GPU alone ({@code gpuMatchedBlocks}).
 *
 * @param hitRatio matchedBlocks / the prompt's full blocks
 */
public record PodMatch(String pod, int matchedBlocks, int matchedTokens, double hitRatio, int gpuMatchedBlocks) {

    @Override
    public String toString() {
        return pod + ": " + matchedBlocks + " blocks (" + matchedTokens + " tokens, "
                + String.format("%.0f%%", hitRatio * 100) + ")" + (gpuMatchedBlocks == matchedBlocks ? ""
                : ", " + gpuMatchedBlocks + " on GPU");
    }
}
