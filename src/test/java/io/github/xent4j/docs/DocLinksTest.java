package io.github.xent4j.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every link of README.md and of the pages under src/site/markdown resolves inside the repository:
 * a relative path to a file or folder that exists, not above the repository root, and for
 * {@code #anchors} into Markdown a heading with that anchor (GitHub's rule: lower case, spaces to
 * hyphens, punctuation dropped). No page links outside the repository.
 */
class DocLinksTest {

    /** {@code [text](target)} and {@code ![alt](target)}; code spans are removed first. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE_BLOCK = Pattern.compile("(?ms)^```.*?^```");
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`\\n]*`");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} +(.+?) *$");

    @Test
    void everyLinkResolvesInsideTheRepository() throws IOException {
        Path root = Docs.root();
        List<Path> pages = pages(root);
        assertTrue(pages.contains(root.resolve("src/site/markdown/index.md")), "src/site/markdown/index.md exists");
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path page : pages) {
            for (String target : links(Docs.read(page))) {
                links++;
                String problem = problem(root, page, target);
                if (problem != null) {
                    broken.add(root.relativize(page) + ": (" + target + ") " + problem);
                }
            }
        }
        assertEquals(List.of(), broken, "broken links");
        assertTrue(links > 20, "expected the pages' links, found " + links);
    }

    @Test
    void theCheckerFindsBrokenLinks() throws IOException {
        Path root = Docs.root();
        Path readme = root.resolve("README.md");
        assertTrue(problem(root, readme, "LICENSE") == null);
        assertTrue(problem(root, readme, "src/site/markdown/index.md") == null);
        assertTrue(problem(root, readme, "../shared/CONTRACT.md") != null, "above the root");
        assertTrue(problem(root, readme, "https://example.org/") != null, "outside the repository");
        assertTrue(problem(root, readme, "NO-SUCH-FILE.md") != null, "missing file");
        assertTrue(problem(root, readme, "#no-such-heading") != null, "missing anchor");
        assertTrue(problem(root, readme, "#install") == null, "README's Install heading");
        assertEquals(List.of("a.md", "b/#c"), links("[x](a.md) `[y](z.md)` ![i](b/#c)\n```\n[q](r.md)\n```\n"));
    }

    static List<Path> pages(Path root) throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        try (Stream<Path> s = Files.list(root.resolve("src/site/markdown"))) {
            pages.addAll(s.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
        }
        return pages;
    }

    static List<String> links(String markdown) {
        String text = CODE_SPAN.matcher(CODE_BLOCK.matcher(markdown).replaceAll("")).replaceAll("");
        List<String> found = new ArrayList<>();
        Matcher m = LINK.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** Why {@code target}, linked from {@code page}, does not resolve; null when it does. */
    static String problem(Path root, Path page, String target) {
        if (target.matches("(?i)[a-z][a-z0-9+.-]*:.*")) {
            return "links outside the repository";
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path file = path.isEmpty() ? page : page.getParent().resolve(path).normalize();
        if (!file.startsWith(root)) {
            return "points above the repository root";
        }
        if (!Files.exists(file)) {
            return "no such file";
        }
        if (anchor != null && file.toString().endsWith(".md") && !anchors(Docs.read(file)).contains(anchor)) {
            return "no heading with anchor #" + anchor + " in " + root.relativize(file);
        }
        return null;
    }

    /** GitHub's heading anchors: lower case, punctuation removed, spaces to hyphens. */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new HashSet<>();
        Matcher m = HEADING.matcher(CODE_BLOCK.matcher(markdown).replaceAll(""));
        while (m.find()) {
            String slug = m.group(1).toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "")
                    .replace(' ', '-');
            String unique = slug;
            for (int i = 1; !anchors.add(unique); i++) {
                unique = slug + "-" + i;
            }
        }
        return anchors;
    }
}
