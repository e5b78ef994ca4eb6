# API and worker image. Runs TypeScript with tsx (no separate build step to drift from `npm start`).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json prisma.config.ts codegen.ts tsconfig.json ./
COPY prisma ./prisma
COPY src ./src
# postinstall generates the Prisma client and resolver types; dev dependencies are needed for codegen.
RUN npm ci --no-audit --no-fund --include=dev && npm prune --omit=dev --no-audit --no-fund
COPY schema.graphql ./
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD node -e "fetch('http://127.0.0.1:4000/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["npx", "tsx", "src/main.ts"]
